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
import type { AccessToken, ProviderKind } from '../core/types.js';
import type { MeterKey, ProxyMeter } from './proxy-meter.js';
import { createUsageScanner, usageOfJson } from './usage-scanner.js';

/** Sized, non-streaming answers up to this size are relayed in one write. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

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
}

export interface ProxyHandlerDependencies {
  keySets: KeySets;
  verifier: TokenVerifier;
  meter: ProxyMeter;
  upstreams: ProxyUpstreams;
  log?: ((entry: ProxyLogEntry) => void) | undefined;
  /** Told of each refused virtual token (the auth-failure counter). */
  onTokenRefused?: (() => void) | undefined;
  fetch?: typeof globalThis.fetch;
}

type Family = 'openai' | 'anthropic';

interface Route {
  family: Family;
  provider: ProviderKind;
  upstreamPath: string;
}

/** Headers never forwarded upstream: hop-by-hop, our own, and the client's credentials. */
const DROPPED_REQUEST_HEADERS = ['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-authorization', 'proxy-connection', 'content-length', 'authorization', 'x-api-key', 'x-rekey-credential', 'accept-encoding'];
const DROPPED_RESPONSE_HEADERS = ['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length'];

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
    if (set === undefined) return `credential ${requested} does not exist`;
    return set.credential.provider === provider ? set : `credential ${requested} is a ${set.credential.provider} key, not ${provider}`;
  }
  const sets = (await Promise.all(token.credentials.map((name) => keySets.get(name).catch(() => undefined)))).filter(
    (set): set is KeySet => set !== undefined && set.credential.provider === provider,
  );
  if (sets.length === 1 && sets[0] !== undefined) return sets[0];
  if (sets.length === 0) return `token ${token.name} has no ${provider} credential`;
  return `token ${token.name} has several ${provider} credentials: name one with the x-rekey-credential header`;
}

/** The model a request asks for and whether it asks for a stream, read from a JSON body. */
function requestFields(body: ArrayBuffer | undefined, contentType: string | null): { model: string | undefined; stream: boolean } {
  if (body === undefined || body.byteLength === 0 || !(contentType ?? '').includes('json')) return { model: undefined, stream: false };
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { model?: unknown; stream?: unknown };
    return { model: typeof parsed.model === 'string' ? parsed.model : undefined, stream: parsed.stream === true };
  } catch {
    return { model: undefined, stream: false };
  }
}

function modelRefusal(token: AccessToken, set: KeySet, model: string | undefined, method: string): string | undefined {
  const lists = [
    { owner: `token ${token.name}`, allowed: token.allowedModels },
    { owner: `credential ${set.credential.name}`, allowed: set.credential.allowedModels },
  ].filter((list) => list.allowed.length > 0);
  if (lists.length === 0 || method === 'GET' || method === 'HEAD') return undefined;
  if (model === undefined) return `this request names no model, and ${lists[0]?.owner} is limited to: ${lists[0]?.allowed.join(', ')}`;
  const refusing = lists.find((list) => !list.allowed.includes(model));
  return refusing === undefined ? undefined : `model ${model} is not allowed for ${refusing.owner} (allowed: ${refusing.allowed.join(', ')})`;
}

function injectKey(headers: Headers, family: Family, key: DeliveredKey): void {
  if (family === 'anthropic') headers.set('x-api-key', key.value.reveal());
  else headers.set('authorization', `Bearer ${key.value.reveal()}`);
}

export function createProxyHandler(deps: ProxyHandlerDependencies): (request: Request) => Promise<Response> {
  const doFetch = deps.fetch ?? globalThis.fetch;

  return async (request) => {
    const started = performance.now();
    const url = new URL(request.url);
    const route = routeOf(url.pathname);
    const entry: ProxyLogEntry = { at: new Date().toISOString(), token: null, credential: null, version: null, method: request.method, path: url.pathname, status: 0, retried: false, milliseconds: 0 };
    const finish = (response: Response): Response => {
      entry.status = response.status;
      entry.milliseconds = Math.round((performance.now() - started) * 10) / 10;
      deps.log?.(entry);
      return response;
    };

    if (route === undefined) return finish(Response.json({ error: { message: 'rekey proxy serves /v1/… (OpenAI) and /anthropic/v1/… (Anthropic)', code: 'not_found' } }, { status: 404 }));
    const upstream = deps.upstreams[route.family];
    if (upstream === undefined) return finish(proxyError(route.family, 404, 'provider_not_configured', `this proxy has no ${route.family} upstream`));

    const presented = presentedToken(request, route.family);
    const token = presented === undefined ? undefined : await deps.verifier.verify(presented);
    if (token === undefined) {
      deps.onTokenRefused?.();
      return finish(proxyError(route.family, 401, 'invalid_virtual_token', 'a valid rekey virtual token is required (rk_proxy_…)'));
    }
    entry.token = token.name;

    const chosen = await credentialFor(deps.keySets, token, route.provider, request.headers.get('x-rekey-credential'));
    if (typeof chosen === 'string') return finish(proxyError(route.family, 403, 'credential_not_allowed', chosen));
    let set = chosen;
    entry.credential = set.credential.name;

    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
    const fields = requestFields(body, request.headers.get('content-type'));
    const refusal = modelRefusal(token, set, fields.model, request.method);
    if (refusal !== undefined) return finish(proxyError(route.family, 403, 'model_not_allowed', refusal));

    const headers = new Headers(request.headers);
    for (const name of DROPPED_REQUEST_HEADERS) headers.delete(name);
    const target = `${upstream.replace(/\/+$/, '')}${route.upstreamPath}${url.search}`;

    const send = async (key: DeliveredKey): Promise<Response | undefined> => {
      const outgoing = new Headers(headers);
      injectKey(outgoing, route.family, key);
      try {
        // A client that goes away stops a stream upstream; short answers are not worth the abort wiring.
        const signal = fields.stream ? { signal: request.signal } : {};
        return await doFetch(target, { method: request.method, headers: outgoing, body, redirect: 'manual', ...signal });
      } catch {
        return undefined;
      }
    };

    let key = set.keys[0];
    if (key === undefined) return finish(proxyError(route.family, 503, 'no_key', `credential ${set.credential.name} has no current key`));
    let response = await send(key);
    if (response?.status === 401) {
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
    if (response === undefined) {
      deps.meter.request(meterKey, 502);
      return finish(proxyError(route.family, 502, 'upstream_unreachable', `rekey proxy could not reach the ${route.family} upstream`));
    }
    deps.meter.request(meterKey, response.status);

    const responseHeaders = new Headers(response.headers);
    for (const name of DROPPED_RESPONSE_HEADERS) responseHeaders.delete(name);
    responseHeaders.set('x-rekey-key-version', String(key.version));
    if (response.body === null) return finish(new Response(null, { status: response.status, headers: responseHeaders }));
    const contentType = response.headers.get('content-type');
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    if (!(contentType ?? '').includes('text/event-stream') && Number.isFinite(length) && length <= MAX_BUFFERED_BYTES) {
      // A complete, sized answer: pass it on in one write (a chunked re-stream costs milliseconds per request).
      const bytes = Buffer.from(await response.arrayBuffer());
      const usage = (contentType ?? '').includes('json') ? usageOfJson(bytes) : undefined;
      if (usage !== undefined) deps.meter.tokens(meterKey, usage.inputTokens, usage.outputTokens);
      responseHeaders.set('content-length', String(bytes.byteLength));
      return finish(new Response(bytes, { status: response.status, statusText: response.statusText, headers: responseHeaders }));
    }
    // Streams (server-sent events) and unsized bodies pass through as they come.
    const scanner = createUsageScanner(contentType, (usage) => {
      if (usage !== undefined) deps.meter.tokens(meterKey, usage.inputTokens, usage.outputTokens);
    });
    return finish(new Response(response.body.pipeThrough(scanner), { status: response.status, statusText: response.statusText, headers: responseHeaders }));
  };
}
