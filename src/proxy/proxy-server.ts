/**
 * `rekey proxy` as a library: the proxy handler on a socket, plus `/healthz` and a
 * Prometheus `/metrics` with per credential / version / token counters (names only).
 */
import type { KeySets } from '../access/key-sets.js';
import { listenFetch, sourceAddressOf, type ListenerTransport } from '../access/listen-fetch.js';
import { openLiveKeySets } from '../access/live-key-sets.js';
import { createAuthFailureCounter, type AuthFailureCounter } from '../access/auth-failure-counter.js';
import { bearerTokenOf, createTokenVerifier } from '../access/token-verifier.js';
import type { Store } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import type { IncomingMessage } from 'node:http';
import { createProxyHandler, type BodyReader, type ProxyLogEntry, type ProxyUpstreams } from './proxy-handler.js';
import { readIncomingLimited } from './request-guard.js';
import { createUpstreamClient } from './upstream-client.js';
import type { ByokProxyDeps } from './byok-proxy.js';
import { createProxyMeter, type MeterTotals, type ProxyMeter } from './proxy-meter.js';
import { createLatencyHistogram } from './latency-histogram.js';
import type { ProxyTracing, ProxyTracingOptions } from './proxy-tracing.js';

export interface ProxyServerOptions {
  store: Store;
  vault: Pick<Vault, 'reveal'>;
  upstreams: ProxyUpstreams;
  host?: string;
  port?: number;
  /** The key sets' fallback poll (stage changes arrive sooner through `store.watchKeyChanges`). */
  pollIntervalMilliseconds?: number;
  /** How long a verified token is trusted before it is checked again (default 5 s). */
  tokenCacheMilliseconds?: number;
  meterFlushMilliseconds?: number;
  /** How often refused-token counts are written for the auth-failure alert (default 5 s). */
  authFailureFlushMilliseconds?: number;
  log?: (entry: ProxyLogEntry) => void;
  onError?: (message: string) => void;
  /** TLS files, or leave to plain HTTP beyond loopback (refused without it). */
  transport?: ListenerTransport;
  /** Certificate reloads and the plain-HTTP warning. */
  onNotice?: (message: string) => void;
  /** Request body limit in bytes (default 8 MiB): larger bodies get 413 as they stream in. */
  maxBodyBytes?: number;
  /** Bring-your-own-key calls (byok-proxy.ts); absent: an rk_byok_ token is refused like any unknown token. */
  byok?: ByokProxyDeps;
  /** Requests a second per virtual token (429 with retry-after above it); unset: unlimited. */
  tokenRequestsPerSecond?: number;
  /** How long the upstream may take to answer with headers (default 10 min; 504 after it). */
  upstreamTimeoutMilliseconds?: number;
  /** Open client connections beyond this are dropped (default: unlimited). */
  maxConnections?: number;
  /** Time a client has to send its request headers (default 20 s). */
  headersTimeoutMilliseconds?: number;
  /**
   * OpenTelemetry traces over OTLP/HTTP (`--otel`; endpoint and headers from the OTEL_*
   * variables unless given). Unset: the tracing module is not even loaded.
   */
  otel?: ProxyTracingOptions | boolean | undefined;
}

export interface RunningProxy {
  url: string;
  keySets: KeySets;
  meter: ProxyMeter;
  /** The refused-token counter (flushed on close). */
  authFailures: AuthFailureCounter;
  /** With `drainMilliseconds`, requests in flight (streams too) may finish first; counts are flushed last. */
  close(options?: { drainMilliseconds?: number }): Promise<void>;
}

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function metricsText(totals: MeterTotals[]): string {
  const lines = [
    '# HELP rekey_proxy_requests_total Requests through the proxy by credential, key version, token and status.',
    '# TYPE rekey_proxy_requests_total counter',
  ];
  for (const total of totals) {
    for (const [status, count] of Object.entries(total.statuses)) {
      lines.push(`rekey_proxy_requests_total{credential="${label(total.credential)}",version="${total.version}",token="${label(total.token)}",status="${status}"} ${count}`);
    }
  }
  lines.push('# HELP rekey_proxy_tokens_total Provider tokens reported in responses.', '# TYPE rekey_proxy_tokens_total counter');
  for (const total of totals) {
    const labels = `credential="${label(total.credential)}",version="${total.version}",token="${label(total.token)}"`;
    lines.push(`rekey_proxy_tokens_total{${labels},direction="input"} ${total.inputTokens}`, `rekey_proxy_tokens_total{${labels},direction="output"} ${total.outputTokens}`);
  }
  return lines.join('\n') + '\n';
}

export async function startProxy(options: ProxyServerOptions): Promise<RunningProxy> {
  const live = await openLiveKeySets({ store: options.store, vault: options.vault, pollIntervalMilliseconds: options.pollIntervalMilliseconds, onError: options.onError });
  const keySets = live.keySets;
  const meter = createProxyMeter({ usage: options.store, flushIntervalMilliseconds: options.meterFlushMilliseconds, onError: options.onError });
  const authFailures = createAuthFailureCounter({ store: options.store, source: 'proxy', flushIntervalMilliseconds: options.authFailureFlushMilliseconds, onError: options.onError });
  const verifier = createTokenVerifier({ tokens: options.store, kind: 'proxy', cacheMilliseconds: options.tokenCacheMilliseconds ?? 5_000 });
  const upstreamClient = createUpstreamClient();
  const latency = createLatencyHistogram();
  const tracing: ProxyTracing | undefined =
    options.otel === undefined || options.otel === false ? undefined : (await import('./proxy-tracing.js')).createProxyTracing(options.otel === true ? {} : options.otel);
  const log = options.log;
  const onEntry = (entry: ProxyLogEntry) => {
    if (entry.credential !== null) latency.observe(entry.credential, entry.milliseconds);
    tracing?.record(entry);
    log?.(entry);
  };
  const handler = createProxyHandler({
    fetch: upstreamClient.fetch,
    keySets,
    verifier,
    meter,
    upstreams: options.upstreams,
    log: onEntry,
    maxBodyBytes: options.maxBodyBytes,
    tokenRequestsPerSecond: options.tokenRequestsPerSecond,
    upstreamTimeoutMilliseconds: options.upstreamTimeoutMilliseconds,
    onTokenRefused: () => authFailures.refused(),
    byok: options.byok,
  });
  const listening = await listenFetch(
    async (request, env) => {
      const pathname = new URL(request.url).pathname;
      const source = sourceAddressOf(env);
      if (pathname === '/healthz') return Response.json({ status: 'ok' });
      if (pathname === '/metrics') {
        // Metrics name credentials and tokens: a live proxy token is required to read them.
        const presented = bearerTokenOf(request.headers.get('authorization'));
        if (presented === undefined || (await verifier.verify(presented, source)) === undefined) {
          authFailures.refused();
          return Response.json({ error: { message: 'a valid rekey virtual token is required (Authorization: Bearer rk_proxy_…)', code: 'invalid_virtual_token' } }, { status: 401, headers: { 'www-authenticate': 'Bearer realm="rekey"' } });
        }
        return new Response(metricsText(meter.totals()) + latency.text(), { headers: { 'content-type': 'text/plain; version=0.0.4', 'cache-control': 'no-store' } });
      }
      // The body straight from the socket (bounded), not through a WHATWG stream.
      const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
      const readBody: BodyReader | undefined = incoming === undefined ? undefined : (limit) => readIncomingLimited(incoming, limit);
      return handler(request, source, readBody);
    },
    {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      ...options.transport,
      maxConnections: options.maxConnections,
      headersTimeoutMilliseconds: options.headersTimeoutMilliseconds,
      onError: options.onError,
      onNotice: options.onNotice,
    },
  ).catch(async (error: unknown) => {
    upstreamClient.close();
    await tracing?.close();
    await live.close();
    await meter.close();
    throw error;
  });
  return {
    url: listening.url,
    keySets,
    meter,
    authFailures,
    async close(closing) {
      await listening.close(closing);
      upstreamClient.close();
      await live.close();
      await meter.close();
      await authFailures.close();
      await tracing?.close();
    },
  };
}
