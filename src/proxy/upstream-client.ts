/**
 * The proxy's upstream client: node:http / node:https with keep-alive agents, answering in
 * the shape of `fetch` (a Response whose body streams as the upstream sends it). The
 * profile of bench/proxy put undici's `fetch` (Request construction, fetch-spec bookkeeping,
 * body re-streaming) at a tenth of the proxy's CPU per request; this is the same wire
 * exchange without that layer. Redirects are never followed (the proxy relays them).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

export interface UpstreamInit {
  method: string;
  headers: Headers;
  body?: ArrayBuffer | undefined;
  signal?: AbortSignal | undefined;
  /** Always manual: the proxy relays redirects, never follows them. */
  redirect?: 'manual';
}

export type UpstreamFetch = (target: string, init: UpstreamInit) => Promise<Response>;

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function responseHeaders(raw: string[]): Headers {
  const headers = new Headers();
  for (let index = 0; index + 1 < raw.length; index += 2) headers.append(raw[index] as string, raw[index + 1] as string);
  return headers;
}

export function createUpstreamClient(options: { maxSockets?: number } = {}): { fetch: UpstreamFetch; close(): void } {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: 'lifo' }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: 'lifo' }),
  };
  const upstreamFetch: UpstreamFetch = (target, init) =>
    new Promise((resolve, reject) => {
      const url = new URL(target);
      const secure = url.protocol === 'https:';
      const headers: Record<string, string> = {};
      for (const [name, value] of init.headers) headers[name] = value;
      if (init.body !== undefined) headers['content-length'] = String(init.body.byteLength);
      const outgoing = (secure ? httpsRequest : httpRequest)({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: init.method,
        headers,
        agent: secure ? agents.https : agents.http,
      });
      outgoing.on('error', reject);
      const abort = () => outgoing.destroy(Object.assign(new Error('the request was aborted'), { name: 'AbortError' }));
      if (init.signal?.aborted === true) {
        abort();
        return;
      }
      init.signal?.addEventListener('abort', abort, { once: true });
      outgoing.on('response', (incoming: IncomingMessage) => {
        const status = incoming.statusCode ?? 502;
        incoming.on('close', () => init.signal?.removeEventListener('abort', abort));
        const nullBody = NULL_BODY_STATUSES.has(status) || init.method === 'HEAD';
        if (nullBody) incoming.resume();
        resolve(new Response(nullBody ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>), { status, statusText: incoming.statusMessage ?? '', headers: responseHeaders(incoming.rawHeaders) }));
      });
      outgoing.end(init.body === undefined ? undefined : Buffer.from(init.body));
    });
  return {
    fetch: upstreamFetch,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
