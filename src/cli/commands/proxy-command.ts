/** `rekey proxy`: the key-injecting OpenAI/Anthropic-compatible proxy for virtual tokens. */
import type { Command } from 'commander';
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

export function register(program: Command): void {
  addListenerOptions(program.command('proxy'))
    .description('Run the key-injecting proxy: apps use <proxy>/v1 (OpenAI) or <proxy>/anthropic (Anthropic) with a virtual token')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8421')
    .option('--openai-upstream <url>', 'OpenAI API base', 'https://api.openai.com/v1')
    .option('--anthropic-upstream <url>', 'Anthropic API base', 'https://api.anthropic.com')
    .option('--log <format>', 'request log on stdout: json or off', 'json')
    .action(async (options: { host: string; port: string; openaiUpstream: string; anthropicUpstream: string; log: string } & ListenerFlags) => {
      const port = parsePort(options.port);
      const transport = listenerTransportOf(options);
      if (options.log !== 'json' && options.log !== 'off') throw new UsageError(`--log must be json or off, not "${options.log}"`);
      const upstreams = { openai: parseUpstream(options.openaiUpstream, '--openai-upstream'), anthropic: parseUpstream(options.anthropicUpstream, '--anthropic-upstream') };
      const { startProxy } = await import('../../proxy/proxy-server.js');
      await withCliContext(async ({ store, vault }) => {
        const proxy = await startProxy({
          store,
          vault,
          upstreams,
          host: options.host,
          port,
          transport,
          // Names, versions, status and timing only: never a key, token, header or body.
          ...(options.log === 'json' ? { log: (entry) => process.stdout.write(`${JSON.stringify(entry)}\n`) } : {}),
          onError: (message) => process.stderr.write(`rekey proxy: ${message}\n`),
          onNotice: (message) => process.stderr.write(`rekey proxy: ${message}\n`),
        });
        process.stderr.write(`rekey proxy: listening on ${proxy.url} (OpenAI ${proxy.url}/v1 → ${upstreams.openai}; Anthropic ${proxy.url}/anthropic → ${upstreams.anthropic})\n`);
        const signal = await untilSignal();
        process.stderr.write(`rekey proxy: ${signal}, closing\n`);
        await proxy.close();
      });
    });
}
