/**
 * The key-injecting proxy (DESIGN.md §4 "Proxy"). Applications point their official
 * client at it with a virtual token instead of a provider key:
 *
 *   OpenAI:    baseURL `<proxy>/v1`,        apiKey `rk_proxy_…`  → `<openai upstream>/…`
 *   Anthropic: baseURL `<proxy>/anthropic`, apiKey `rk_proxy_…`  → `<anthropic upstream>/v1/…`
 *
 * Per request: verify the token (cached), pick the credential (the token's only one for
 * that provider, or `x-rekey-credential`), enforce allowed models (token and credential)
 * with a 403, send upstream with the current key, retry once with the other valid key on
 * a 401 (a rotation this instance has not seen yet), stream the answer back unbuffered
 * while counting tokens. Logs carry names, versions, status and timing — never a key,
 * a token, a header or a body.
 */
import type { DeliveredKey, KeySet, KeySets } from '../access/key-sets.js';
import { bearerTokenOf, type TokenVerifier } from '../access/token-verifier.js';
import { isByokToken, reportByokStatus, resolveByok, type ByokProxyDeps } from './byok-proxy.js';
import type { AccessToken, ProviderKind } from '../core/types.js';
import type { MeterKey, ProxyMeter } from './proxy-meter.js';
import { createTokenRateLimiter, type TokenRateLimiter } from './rate-limiter.js';
import { BodyTooLargeError, DEFAULT_ENDPOINT_GROUPS, endpointGroupOf, pathRefusal, readBodyLimited, readUpTo, RequestRefusal, requestFields, type RequestFields } from './request-guard.js';
import { DROPPED_UPSTREAM_HEADERS, MAX_ERROR_BODY_BYTES, redactUpstreamText } from './upstream-redactor.js';
import type { UpstreamFetch } from './upstream-client.js';
import { createUsageScanner, usageOfJson } from './usage-scanner.js';

/** Sized, non-streaming answers up to this size are relayed in one write. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The default request body limit (`rekey proxy --max-body`). */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** How long the upstream may take to send its response headers (`--upstream-timeout`). */
export const DEFAULT_UPSTREAM_TIMEOUT_MILLISECONDS = 600_000;

export interface ProxyUpstreams {
  /** e.g. `https://api.openai.com/v1` (the emulator: `<url>/v1`). */
  openai?: string | undefined;
  /** e.g. `https://api.anthropic.com` (the emulator: `<url>/anthropic`). */
  anthropic?: string | undefined;
}

export interface ProxyLogEntry {
  at: string;
  token: string | null;
  credential: string | null;
  version: number | null;
  method: string;
  path: string;
  status: number;
  retried: boolean;
  milliseconds: number;
  /** The model the request named (checked against the allow-lists), when it named one. */
  model: string | null;
  /**
   * Provider tokens. A stream is logged when it ends (then `milliseconds` is the whole stream):
   * from its usage chunk (`stream_options.include_usage`), else output counted from its
   * content events (`tokensFrom: "stream-events"`, input unknown).
   */
  inputTokens: number | null;
  outputTokens: number | null;
  tokensFrom: 'usage' | 'stream-events' | null;
}

export interface ProxyHandlerDependencies {
  keySets: KeySets;
  verifier: TokenVerifier;
  meter: ProxyMeter;
  upstreams: ProxyUpstreams;
  log?: ((entry: ProxyLogEntry) => void) | undefined;
  /** Told of each refused virtual token (the auth-failure counter). */
  onTokenRefused?: (() => void) | undefined;
  /** The upstream client (default: globalThis.fetch; `rekey proxy` uses node:http, upstream-client.ts). */
  fetch?: UpstreamFetch | undefined;
  /** Request bodies larger than this are refused with 413 as they stream in (default 8 MiB). */
  maxBodyBytes?: number | undefined;
  /** Requests per second each virtual token may send (a burst of one second's worth); unset: unlimited. */
  tokenRequestsPerSecond?: number | undefined;
  /** Time allowed for the upstream's response headers (default 10 min); 504 after it. */
  upstreamTimeoutMilliseconds?: number | undefined;
  now?: (() => number) | undefined;
  /** Bring-your-own-key (issue 20, byok-proxy.ts): an `rk_byok_…` token with `x-rekey-user` uses that user's own key. */
  byok?: ByokProxyDeps | undefined;
}

type Family = 'openai' | 'anthropic';

interface Route {
  family: Family;
  provider: ProviderKind;
  upstreamPath: string;
}

/**
 * Headers never forwarded upstream: hop-by-hop, our own, the client's credentials, and the
 * organisation/project selectors (the credential's scope decides those, not the client).
 */
const DROPPED_REQUEST_HEADERS = ['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-authorization', 'proxy-connection', 'content-length', 'authorization', 'x-api-key', 'x-rekey-credential', 'accept-encoding', 'openai-organization', 'openai-project'];
const DROPPED_RESPONSE_HEADERS = ['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length', ...DROPPED_UPSTREAM_HEADERS];

function routeOf(pathname: string): Route | undefined {
  if (pathname.startsWith('/v1/')) return { family: 'openai', provider: 'openai', upstreamPath: pathname.slice(3) };
  if (pathname.startsWith('/anthropic/')) return { family: 'anthropic', provider: 'anthropic', upstreamPath: pathname.slice('/anthropic'.length) };
  return undefined;
}

export function proxyError(family: Family, status: number, code: string, message: string): Response {
  const body =
    family === 'anthropic'
      ? { type: 'error', error: { type: code === 'model_not_allowed' || status === 403 ? 'permission_error' : status === 401 ? 'authentication_error' : 'api_error', message } }
      : { error: { message, type: status === 401 ? 'invalid_request_error' : status === 403 ? 'permission_error' : 'proxy_error', param: null, code } };
  return Response.json(body, { status, headers: { 'x-rekey-proxy': 'error' } });
}

function presentedToken(request: Request, family: Family): string | undefined {
  if (family === 'anthropic') {
    const apiKey = request.headers.get('x-api-key');
    if (apiKey !== null && apiKey !== '') return apiKey.trim();
  }
  return bearerTokenOf(request.headers.get('authorization'));
}

async function credentialFor(keySets: KeySets, token: AccessToken, provider: ProviderKind, requested: string | null): Promise<KeySet | string> {
  if (requested !== null) {
    if (!token.credentials.includes(requested)) return `token ${token.name} may not use credential ${requested}`;
    const set = await keySets.get(requested).catch(() => undefined);
    // Scoped by id: a credential removed and created again under the same name is not the token's.
    if (set === undefined || !token.credentialIds.includes(set.credential.id)) return `credential ${requested} does not exist`;
    return set.credential.provider === provider ? set : `credential ${requested} is a ${set.credential.provider} key, not ${provider}`;
  }
  const sets = (await Promise.all(token.credentials.map((name) => keySets.get(name).catch(() => undefined)))).filter(
    (set): set is KeySet => set !== undefined && token.credentialIds.includes(set.credential.id) && set.credential.provider === provider,
  );
  if (sets.length === 1 && sets[0] !== undefined) return sets[0];
  if (sets.length === 0) return `token ${token.name} has no ${provider} credential`;
  return `token ${token.name} has several ${provider} credentials: name one with the x-rekey-credential header`;
}

function modelRefusal(token: AccessToken, set: KeySet, fields: RequestFields, group: string): string | undefined {
  const lists = [
    { owner: `token ${token.name}`, allowed: token.allowedModels },
    { owner: `credential ${set.credential.name}`, allowed: set.credential.allowedModels },
  ].filter((list) => list.allowed.length > 0);
  if (lists.length === 0) return undefined;
  const named = [...new Set(fields.models)];
  if (named.length > 1) return `this request names several models (${named.join(', ')}); name one`;
  const model = named[0];
  // Only inference must name its model; listing models or reading a granted file calls none.
  if (model === undefined) return group !== 'inference' ? undefined : `this request names no model, and ${lists[0]?.owner} is limited to: ${lists[0]?.allowed.join(', ')}`;
  const refusing = lists.find((list) => !list.allowed.includes(model));
  return refusing === undefined ? undefined : `model ${model} is not allowed for ${refusing.owner} (allowed: ${refusing.allowed.join(', ')})`;
}

/** Refuses a client's organisation/project selector that differs from the credential's scope. */
function scopeRefusal(request: Request, set: KeySet): string | undefined {
  for (const [header, field] of [['openai-project', 'project'], ['openai-organization', 'organization']] as const) {
    const asked = request.headers.get(header);
    if (asked === null) continue;
    const scoped = set.credential.scope[field];
    if (scoped !== asked) return `the ${header} header asks for ${asked}, but credential ${set.credential.name} is ${scoped === undefined ? `not scoped by ${field}` : `scoped to ${field} ${scoped}`}`;
  }
  return undefined;
}

function injectKey(headers: Headers, family: Family, key: DeliveredKey): void {
  if (family === 'anthropic') headers.set('x-api-key', key.value.reveal());
  else headers.set('authorization', `Bearer ${key.value.reveal()}`);
}

/** The handler; `source` is the connection's peer address (for tokens bound to networks). */
/**
 * `readBody`, when given, reads the request body up to a limit straight from the socket
 * (`rekey proxy`: no WHATWG stream in between); it must throw BodyTooLargeError past it.
 */
export type BodyReader = (limit: number) => Promise<ArrayBuffer | undefined>;

export function createProxyHandler(deps: ProxyHandlerDependencies): (request: Request, source?: string, readBody?: BodyReader) => Promise<Response> {
  const doFetch: UpstreamFetch = deps.fetch ?? globalThis.fetch;
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const upstreamTimeout = deps.upstreamTimeoutMilliseconds ?? DEFAULT_UPSTREAM_TIMEOUT_MILLISECONDS;
  const limiter: TokenRateLimiter | undefined = deps.tokenRequestsPerSecond === undefined ? undefined : createTokenRateLimiter(deps.tokenRequestsPerSecond, deps.now);

  return async (request, source, readBody) => {
    const started = performance.now();
    const url = new URL(request.url);
    const route = routeOf(url.pathname);
    const entry: ProxyLogEntry = { at: new Date().toISOString(), token: null, credential: null, version: null, method: request.method, path: url.pathname, status: 0, retried: false, milliseconds: 0, model: null, inputTokens: null, outputTokens: null, tokensFrom: null };
    const finish = (response: Response): Response => {
      entry.status = response.status;
      entry.milliseconds = Math.round((performance.now() - started) * 10) / 10;
      deps.log?.(entry);
      return response;
    };

    if (route === undefined) return finish(Response.json({ error: { message: 'rekey proxy serves /v1/… (OpenAI) and /anthropic/v1/… (Anthropic)', code: 'not_found' } }, { status: 404 }));
    const upstream = deps.upstreams[route.family];
    if (upstream === undefined) return finish(proxyError(route.family, 404, 'provider_not_configured', `this proxy has no ${route.family} upstream`));
    const badPath = pathRefusal(url.pathname);
    if (badPath !== undefined) return finish(proxyError(route.family, 400, 'invalid_path', `rekey proxy refuses this path: ${badPath}`));

    const presented = presentedToken(request, route.family);
    const byok = deps.byok !== undefined && isByokToken(presented) ? await resolveByok(deps.byok, deps.keySets, request, presented, route.provider) : undefined;
    if (byok?.kind === 'refused') return finish(proxyError(route.family, byok.status, byok.code, byok.message));
    const token = byok !== undefined ? byok.token : presented === undefined ? undefined : await deps.verifier.verify(presented, source);
    if (token === undefined) {
      deps.onTokenRefused?.();
      return finish(proxyError(route.family, 401, 'invalid_virtual_token', 'a valid rekey virtual token is required (rk_proxy_…)'));
    }
    entry.token = token.name;

    const group = endpointGroupOf(route.family, request.method, route.upstreamPath);
    const extra = token.allowedEndpoints ?? [];
    const granted: readonly string[] = [...DEFAULT_ENDPOINT_GROUPS, ...extra];
    if (group === undefined) return finish(proxyError(route.family, 403, 'endpoint_not_allowed', `rekey proxy does not pass ${request.method} ${route.upstreamPath} (not an endpoint it knows)`));
    if (!granted.includes(group)) {
      return finish(proxyError(route.family, 403, 'endpoint_not_allowed', `token ${token.name} may not use ${request.method} ${route.upstreamPath} (endpoint group "${group}"; granted: ${granted.join(', ')})`));
    }
    const wait = limiter?.take(token.id);
    if (wait !== undefined && wait > 0) {
      const response = proxyError(route.family, 429, 'rate_limited', `token ${token.name} is over its rate of ${deps.tokenRequestsPerSecond} requests a second`);
      response.headers.set('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
      return finish(response);
    }

    const chosen = byok !== undefined ? byok.set : await credentialFor(deps.keySets, token, route.provider, request.headers.get('x-rekey-credential'));
    if (typeof chosen === 'string') return finish(proxyError(route.family, 403, 'credential_not_allowed', chosen));
    let set = chosen;
    entry.credential = set.credential.name;

    const scopeProblem = scopeRefusal(request, set);
    if (scopeProblem !== undefined) return finish(proxyError(route.family, 403, 'scope_not_allowed', scopeProblem));

    let body: ArrayBuffer | undefined;
    let fields: RequestFields;
    try {
      body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await (readBody === undefined ? readBodyLimited(request, maxBodyBytes) : readBody(maxBodyBytes));
      fields = await requestFields(body, request.headers.get('content-type'), url.searchParams);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return finish(proxyError(route.family, 413, 'request_too_large', `the request body is larger than this proxy's limit of ${maxBodyBytes} bytes`));
      if (error instanceof RequestRefusal) return finish(proxyError(route.family, error.status, error.code, error.message));
      throw error;
    }
    entry.model = fields.models[0] ?? null;
    const refusal = modelRefusal(token, set, fields, group);
    if (refusal !== undefined) return finish(proxyError(route.family, 403, 'model_not_allowed', refusal));

    const headers = new Headers(request.headers);
    for (const name of DROPPED_REQUEST_HEADERS) headers.delete(name);
    const target = `${upstream.replace(/\/+$/, '')}${route.upstreamPath}${url.search}`;

    const send = async (key: DeliveredKey): Promise<Response | 'timeout' | undefined> => {
      const outgoing = new Headers(headers);
      injectKey(outgoing, route.family, key);
      // The upstream has this long to send its headers; a stream then runs as long as it lasts.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), upstreamTimeout);
      try {
        // A client that goes away stops a stream upstream.
        const signal = fields.stream ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
        return await doFetch(target, { method: request.method, headers: outgoing, body, redirect: 'manual', signal });
      } catch {
        return deadline.signal.aborted ? 'timeout' : undefined;
      } finally {
        clearTimeout(timer);
      }
    };

    let key = set.keys[0];
    if (key === undefined) return finish(proxyError(route.family, 503, 'no_key', `credential ${set.credential.name} has no current key`));
    let response = await send(key);
    if (byok !== undefined && response !== undefined && response !== 'timeout' && deps.byok !== undefined) await reportByokStatus(deps.byok, byok, response.status);
    if (byok?.keyId == null && response !== undefined && response !== 'timeout' && response.status === 401) {
      await deps.keySets.refresh(set.credential.name);
      set = await deps.keySets.get(set.credential.name);
      const tried = key;
      const other = set.keys.find((candidate) => !candidate.value.equals(tried.value));
      if (other !== undefined) {
        await response.body?.cancel();
        entry.retried = true;
        key = other;
        response = await send(other);
      }
    }
    entry.version = key.version;
    const meterKey: MeterKey = { credentialId: set.credential.id, credential: set.credential.name, version: key.version, token: token.name };
    if (response === undefined || response === 'timeout') {
      const status = response === 'timeout' ? 504 : 502;
      deps.meter.request(meterKey, status);
      return finish(
        response === 'timeout'
          ? proxyError(route.family, 504, 'upstream_timeout', `the ${route.family} upstream sent no answer within ${upstreamTimeout} ms`)
          : proxyError(route.family, 502, 'upstream_unreachable', `rekey proxy could not reach the ${route.family} upstream`),
      );
    }
    deps.meter.request(meterKey, response.status);

    const responseHeaders = new Headers(response.headers);
    for (const name of DROPPED_RESPONSE_HEADERS) responseHeaders.delete(name);
    responseHeaders.set('x-rekey-key-version', String(key.version));
    if (byok !== undefined) responseHeaders.set('x-rekey-byok', byok.fallback ? 'fallback' : 'user');
    if (response.body === null) return finish(new Response(null, { status: response.status, headers: responseHeaders }));
    const contentType = response.headers.get('content-type');
    if (response.status >= 400) {
      // Errors are read whole and redacted: a provider's message may name the injected key by its hint.
      const injected = set.keys.map((candidate) => candidate.value);
      const bytes = await readUpTo(response.body, MAX_ERROR_BODY_BYTES);
      const text = bytes === undefined ? JSON.stringify({ error: { message: `the ${route.family} upstream answered ${response.status} with an error body too large to relay` } }) : redactUpstreamText(bytes.toString('utf8'), injected);
      const relayed = Buffer.from(text, 'utf8');
      responseHeaders.set('content-length', String(relayed.byteLength));
      return finish(new Response(relayed, { status: response.status, statusText: response.statusText, headers: responseHeaders }));
    }
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    if (!(contentType ?? '').includes('text/event-stream') && Number.isFinite(length) && length <= MAX_BUFFERED_BYTES) {
      // A complete, sized answer: pass it on in one write (a chunked re-stream costs milliseconds per request).
      const bytes = Buffer.from(await response.arrayBuffer());
      const usage = (contentType ?? '').includes('json') ? usageOfJson(bytes) : undefined;
      if (usage !== undefined) {
        deps.meter.tokens(meterKey, usage.inputTokens, usage.outputTokens);
        entry.inputTokens = usage.inputTokens;
        entry.outputTokens = usage.outputTokens;
        entry.tokensFrom = 'usage';
      }
      responseHeaders.set('content-length', String(bytes.byteLength));
      return finish(new Response(bytes, { status: response.status, statusText: response.statusText, headers: responseHeaders }));
    }
    // Streams (server-sent events) and unsized bodies pass through as they come.
    // The log line waits for the end of the stream (or the client leaving) to carry its tokens.
    let logged = false;
    const finishStream = () => {
      if (logged) return;
      logged = true;
      entry.milliseconds = Math.round((performance.now() - started) * 10) / 10;
      deps.log?.(entry);
    };
    const scanner = createUsageScanner(contentType, (usage, contentEvents) => {
      if (usage !== undefined) {
        deps.meter.tokens(meterKey, usage.inputTokens, usage.outputTokens);
        entry.inputTokens = usage.inputTokens;
        entry.outputTokens = usage.outputTokens;
        entry.tokensFrom = 'usage';
      } else if (contentEvents > 0) {
        entry.outputTokens = contentEvents;
        entry.tokensFrom = 'stream-events';
      }
      finishStream();
    });
    request.signal.addEventListener('abort', finishStream, { once: true });
    entry.status = response.status;
    return new Response(response.body.pipeThrough(scanner), { status: response.status, statusText: response.statusText, headers: responseHeaders });
  };
}
