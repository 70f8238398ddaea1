/** `rekey proxy`: the key-injecting OpenAI/Anthropic-compatible proxy for virtual tokens. */
import type { Command } from 'commander';
import { parseDurationSeconds } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { withCliContext } from '../cli-context.js';
import { addListenerOptions, listenerTransportOf, type ListenerFlags } from '../listener-options.js';
import { parsePort, untilSignal } from './serve-command.js';

function parseUpstream(text: string, option: string): string {
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
    if (url.username !== '' || url.password !== '') throw new UsageError(`${option} must not carry credentials`);
    return text.replace(/\/+$/, '');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${option} must be an http(s) URL, not "${text}"`);
  }
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `8MiB`, `512KiB`, `25MB`, `1000000`: a positive whole number of bytes. */
export function parseByteSize(text: string, option: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = BYTE_UNITS[(match?.[2] ?? '').toLowerCase()];
  const bytes = match === null || unit === undefined ? Number.NaN : Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new UsageError(`${option} must be a size such as 8MiB, 512KiB or 25MB, not "${text}"`);
  return bytes;
}

function parsePositive(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${option} must be a positive number, not "${text}"`);
  return value;
}

function parseTimeout(text: string, option: string): number {
  const milliseconds = parseDurationSeconds(text, option) * 1000;
  if (!(milliseconds > 0)) throw new UsageError(`${option} must be longer than zero, not "${text}"`);
  return milliseconds;
}

export function register(program: Command): void {
  addListenerOptions(program.command('proxy'))
    .description('Run the key-injecting proxy: apps use <proxy>/v1 (OpenAI) or <proxy>/anthropic (Anthropic) with a virtual token')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8421')
    .option('--openai-upstream <url>', 'OpenAI API base', 'https://api.openai.com/v1')
    .option('--anthropic-upstream <url>', 'Anthropic API base', 'https://api.anthropic.com')
    .option('--log <format>', 'request log on stdout: json or off', 'json')
    .option('--max-body <size>', 'largest request body accepted, e.g. 8MiB, 512KiB, 25MB (413 above it)', '8MiB')
    .option('--token-rate <n>', 'requests a second each virtual token may send (429 with retry-after above it)')
    .option('--upstream-timeout <duration>', 'time the upstream has to answer with headers (504 after it)', '10m')
    .option('--max-connections <n>', 'open client connections beyond this are dropped')
    .option('--otel', 'export OpenTelemetry traces over OTLP/HTTP (endpoint and headers from OTEL_EXPORTER_OTLP_*; also on with OTEL_TRACES_EXPORTER=otlp)')
    .option('--drain <duration>', 'on SIGTERM/SIGINT, how long requests in flight (streams too) may take to finish', '10s')
    .action(async (options: { host: string; port: string; openaiUpstream: string; anthropicUpstream: string; log: string; maxBody: string; tokenRate?: string; upstreamTimeout: string; maxConnections?: string; drain: string; otel?: boolean } & ListenerFlags) => {
      const port = parsePort(options.port);
      const transport = listenerTransportOf(options);
      const maxBodyBytes = parseByteSize(options.maxBody, '--max-body');
      const tokenRequestsPerSecond = options.tokenRate === undefined ? undefined : parsePositive(options.tokenRate, '--token-rate');
      const upstreamTimeoutMilliseconds = parseTimeout(options.upstreamTimeout, '--upstream-timeout');
      const maxConnections = options.maxConnections === undefined ? undefined : Math.floor(parsePositive(options.maxConnections, '--max-connections'));
      const drainMilliseconds = parseDurationSeconds(options.drain, '--drain') * 1000;
      if (options.log !== 'json' && options.log !== 'off') throw new UsageError(`--log must be json or off, not "${options.log}"`);
      const upstreams = { openai: parseUpstream(options.openaiUpstream, '--openai-upstream'), anthropic: parseUpstream(options.anthropicUpstream, '--anthropic-upstream') };
      const { startProxy } = await import('../../proxy/proxy-server.js');
      await withCliContext(async (context) => {
        const { store, vault } = context;
        const byok = await (await import('../byok-wiring.js')).openByok(context, (message) => process.stderr.write(`rekey proxy: ${message}\n`));
        const proxy = await startProxy({
          byok: { ...byok, tenant: (id) => store.getByokTenant(id) },
          store,
          vault,
          upstreams,
          host: options.host,
          port,
          transport,
          maxBodyBytes,
          upstreamTimeoutMilliseconds,
          ...(tokenRequestsPerSecond === undefined ? {} : { tokenRequestsPerSecond }),
          ...(maxConnections === undefined ? {} : { maxConnections }),
          ...(options.otel === true || (process.env.OTEL_TRACES_EXPORTER ?? '').split(',').map((value) => value.trim()).includes('otlp') ? { otel: true } : {}),
          // Names, versions, status and timing only: never a key, token, header or body.
          ...(options.log === 'json' ? { log: (entry) => process.stdout.write(`${JSON.stringify(entry)}\n`) } : {}),
          onError: (message) => process.stderr.write(`rekey proxy: ${message}\n`),
          onNotice: (message) => process.stderr.write(`rekey proxy: ${message}\n`),
        });
        process.stderr.write(`rekey proxy: listening on ${proxy.url} (OpenAI ${proxy.url}/v1 → ${upstreams.openai}; Anthropic ${proxy.url}/anthropic → ${upstreams.anthropic})\n`);
        const signal = await untilSignal();
        process.stderr.write(`rekey proxy: ${signal}, closing (requests in flight have ${options.drain} to finish)\n`);
        await proxy.close({ drainMilliseconds });
      });
    });
}
