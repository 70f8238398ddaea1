/**
 * A small contract fake of the Azure surfaces the azure-openai adapter uses, on real HTTP
 * over loopback:
 * - ARM `POST …/providers/Microsoft.CognitiveServices/accounts/{account}/listKeys` and
 *   `…/regenerateKey` (body `{keyName: "Key1"|"Key2"}`), which check the exact path, the
 *   `api-version` query and the bearer token, and answer `{key1, key2}`;
 * - the data plane (`GET /openai/models`, `POST /openai/deployments/{name}/chat/completions`),
 *   which accepts only the current key1/key2 in the `api-key` header.
 * Regenerating a slot kills its old value at once, as Azure does. Fault knobs (seeded):
 * 429 with retry-after, 5xx, latency. Errors use the ARM envelope `{error:{code,message}}`.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AzureFakeKnobs {
  rate429: number;
  retryAfterSeconds: number;
  rate5xx: number;
  latencyMs: number;
}

export interface AzureArmFakeOptions {
  subscriptionId?: string;
  resourceGroup?: string;
  accountName?: string;
  apiVersion?: string;
  deployments?: string[];
  seed?: number;
  knobs?: Partial<AzureFakeKnobs>;
}

export interface AzureArmFake {
  url: string;
  token: string;
  subscriptionId: string;
  resourceGroup: string;
  accountName: string;
  apiVersion: string;
  /** Current values, for test setup only (never over HTTP except listKeys). */
  keys(): { key1: string; key2: string };
  isKeyLive(value: string): boolean;
  regenerations(): { key1: number; key2: number };
  /** Requests the fake refused for a wrong path, api-version or token. */
  rejected(): Array<{ reason: string; path: string }>;
  setKnobs(knobs: Partial<AzureFakeKnobs>): void;
  close(): Promise<void>;
}

const newKey = () => randomBytes(16).toString('hex');

export async function startAzureArmFake(options: AzureArmFakeOptions = {}): Promise<AzureArmFake> {
  const subscriptionId = options.subscriptionId ?? '00000000-1111-2222-3333-444444444444';
  const resourceGroup = options.resourceGroup ?? 'rg-rekey';
  const accountName = options.accountName ?? 'rekey-openai';
  const apiVersion = options.apiVersion ?? '2023-05-01';
  const deployments = new Set(options.deployments ?? ['gpt-4o-mini']);
  const token = `eyFake.${randomBytes(12).toString('hex')}`;
  const keys = { key1: newKey(), key2: newKey() };
  const regenerations = { key1: 0, key2: 0 };
  const rejected: Array<{ reason: string; path: string }> = [];
  let knobs: AzureFakeKnobs = { rate429: 0, retryAfterSeconds: 1, rate5xx: 0, latencyMs: 0, ...options.knobs };
  let seed = (options.seed ?? 7) >>> 0;
  const random = () => {
    // mulberry32: deterministic faults for a given seed and request order.
    seed = (seed + 0x6d2b79f5) >>> 0;
    let value = seed;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  const accountPath = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${accountName}`;

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }
  const armError = (response: ServerResponse, status: number, code: string, message: string) => send(response, status, { error: { code, message } });

  async function readJson(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (knobs.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, knobs.latencyMs));
    const draw = random();
    if (draw < knobs.rate429) {
      return send(response, 429, { error: { code: 'TooManyRequests', message: 'Too many requests' } }, { 'retry-after': String(knobs.retryAfterSeconds) });
    }
    if (draw < knobs.rate429 + knobs.rate5xx) return armError(response, 503, 'ServiceUnavailable', 'The service is unavailable');

    if (url.pathname.startsWith('/subscriptions/')) {
      const reject = (reason: string, status: number, code: string) => {
        rejected.push({ reason, path: url.pathname });
        return armError(response, status, code, reason);
      };
      if (request.headers.authorization !== `Bearer ${token}`) return reject('missing or wrong bearer token', 401, 'InvalidAuthenticationToken');
      if (url.searchParams.get('api-version') !== apiVersion) return reject('wrong or missing api-version', 400, 'InvalidApiVersionParameter');
      if (request.method !== 'POST') return reject('wrong method', 405, 'MethodNotAllowed');
      if (url.pathname === `${accountPath}/listKeys`) return send(response, 200, { ...keys });
      if (url.pathname === `${accountPath}/regenerateKey`) {
        const body = await readJson(request);
        const keyName = typeof body === 'object' && body !== null ? (body as { keyName?: unknown }).keyName : undefined;
        if (keyName !== 'Key1' && keyName !== 'Key2') return reject('keyName must be Key1 or Key2', 400, 'InvalidRequestContent');
        const slot = keyName === 'Key1' ? 'key1' : 'key2';
        keys[slot] = newKey();
        regenerations[slot] += 1;
        return send(response, 200, { ...keys });
      }
      return reject('no such resource', 404, 'ResourceNotFound');
    }

    if (url.pathname.startsWith('/openai/')) {
      const given = request.headers['api-key'];
      if (typeof given !== 'string' || (given !== keys.key1 && given !== keys.key2)) {
        return send(response, 401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } });
      }
      if (!url.searchParams.get('api-version')) return armError(response, 404, '404', 'Resource not found');
      if (request.method === 'GET' && url.pathname === '/openai/models') {
        return send(response, 200, { object: 'list', data: [...deployments].map((id) => ({ id, object: 'model' })) });
      }
      const match = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname);
      if (request.method === 'POST' && match) {
        await readJson(request);
        if (!deployments.has(decodeURIComponent(match[1] ?? ''))) return armError(response, 404, 'DeploymentNotFound', 'The API deployment for this resource does not exist.');
        return send(response, 200, { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'p' }, finish_reason: 'length' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
      }
    }
    return armError(response, 404, 'NotFound', 'Not found');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) armError(response, 500, 'InternalServerError', 'fake failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    subscriptionId,
    resourceGroup,
    accountName,
    apiVersion,
    keys: () => ({ ...keys }),
    isKeyLive: (value) => value === keys.key1 || value === keys.key2,
    regenerations: () => ({ ...regenerations }),
    rejected: () => [...rejected],
    setKnobs(next) {
      knobs = { ...knobs, ...next };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
