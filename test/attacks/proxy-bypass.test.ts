/**
 * Attacks on the proxy's bounds (issue #18 item 3), each performed as it worked before the
 * fix, against a real proxy on a socket in front of a recording upstream on loopback: the
 * upstream sees what the proxy forwards, and answers what a test tells it to.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/limited/prod';
const KEY = 'sk-proj-PROXYBOUNDSx' + 'q'.repeat(30) + 'Zk4Q';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bytes: number;
}

let upstream: Server;
let upstreamUrl: string;
let fixture: KeyFixture;
let proxy: RunningProxy;
let limited: string;
let granted: string;
const seen: Seen[] = [];
let answer: { status: number; body: string; delayMilliseconds?: number; stream?: boolean } = { status: 200, body: '{"ok":true}' };

beforeAll(async () => {
  upstream = createServer((request, response) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => (bytes += chunk.byteLength));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, bytes });
      const { status, body, delayMilliseconds = 0, stream = false } = answer;
      if (stream) {
        // An event stream whose last event comes after `delayMilliseconds`.
        response.writeHead(status, { 'content-type': 'text/event-stream' });
        response.write('data: {"first":true}\n\n');
        setTimeout(() => response.end(`data: ${body}\n\ndata: [DONE]\n\n`), delayMilliseconds);
        return;
      }
      setTimeout(() => {
        response.writeHead(status, { 'content-type': 'application/json', 'openai-organization': 'org-secretive', 'openai-project': 'proj_real' });
        response.end(body);
      }, delayMilliseconds);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  fixture = await createKeyFixture();
  const credential = await fixture.addCredential(NAME, KEY, { allowedModels: ['gpt-4o-mini'] });
  await fixture.store.updateCredential(credential.name, { scope: { project: 'proj_limited' } });
  limited = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'limited-app', credentials: [NAME], allowedModels: ['gpt-4o-mini'], createdBy: 'test' }, new Date())).secret;
  granted = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'files-app', credentials: [NAME], allowedModels: [], allowedEndpoints: ['files', 'stored'], createdBy: 'test' }, new Date())).secret;
  proxy = await startProxy({
    store: fixture.store,
    vault: fixture.vault,
    upstreams: { openai: upstreamUrl },
    maxBodyBytes: 1024 * 1024,
    upstreamTimeoutMilliseconds: 400,
    meterFlushMilliseconds: 3_600_000,
  });
});
afterAll(async () => {
  await proxy.close();
  await fixture.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
  answer = { status: 200, body: '{"ok":true}' };
});

const send = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${proxy.url}${path}`, { ...init, headers: { authorization: `Bearer ${init.token ?? limited}`, ...(init.headers as Record<string, string> | undefined) } });
const chat = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;

describe('proxy bounds', () => {
  it('refuses a body over the limit as it streams in, having read little more than the limit', async () => {
    let offered = 0;
    const chunk = new Uint8Array(64 * 1024).fill(32);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 200 MB on offer; the proxy must stop reading long before.
        if (offered >= 200 * 1024 * 1024) return controller.close();
        offered += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body, headers: { authorization: `Bearer ${limited}`, 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('request_too_large');
    expect(offered).toBeLessThan(16 * 1024 * 1024);
    expect(seen).toEqual([]);
  });

  it('refuses a declared length over the limit before reading it', async () => {
    const response = await send('/v1/chat/completions', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(413);
    expect(seen).toEqual([]);
  });

  it('does not let a model-limited token read stored completions or files (GET was never checked)', async () => {
    for (const path of ['/v1/chat/completions', '/v1/chat/completions/chatcmpl_123', '/v1/files/file-abc/content', '/v1/organization/users', '/v1/some/unknown/endpoint']) {
      const response = await send(path);
      expect(response.status, path).toBe(403);
      expect((await errorOf(response)).code).toBe('endpoint_not_allowed');
    }
    expect(seen).toEqual([]);
    // Granted by name, the same reads pass.
    const files = await send('/v1/files/file-abc/content', { token: granted });
    expect(files.status).toBe(200);
    expect(seen.map((request) => request.url)).toEqual(['/v1/files/file-abc/content']);
  });

  it('refuses duplicate JSON keys: {"model":"gpt-4o","model":"gpt-4o-mini"} passed the allow-list', async () => {
    const response = await send('/v1/chat/completions', { method: 'POST', body: '{"model":"gpt-4o","model":"gpt-4o-mini","messages":[]}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'duplicate_json_key' });
    expect(seen).toEqual([]);
  });

  it('checks the model wherever a request names it: query, multipart form, a JSON body sent as text/plain', async () => {
    const query = await send('/v1/chat/completions?model=gpt-4o', { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json' } });
    expect(query.status).toBe(403);
    const form = new FormData();
    form.set('model', 'whisper-1');
    form.set('file', new Blob([new Uint8Array(16)]), 'a.wav');
    const multipart = await send('/v1/audio/transcriptions', { method: 'POST', body: form });
    expect(multipart.status).toBe(403);
    expect((await errorOf(multipart)).message).toContain('model whisper-1 is not allowed');
    const disguised = await send('/v1/chat/completions', { method: 'POST', body: chat('gpt-4o'), headers: { 'content-type': 'text/plain' } });
    expect(disguised.status).toBe(403);
    expect(seen).toEqual([]);
    const allowed = await send('/v1/chat/completions', { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json' } });
    expect(allowed.status).toBe(200);
  });

  it('does not forward the client\'s OpenAI-Project/Organization, and refuses one outside the credential\'s scope', async () => {
    const other = await send('/v1/chat/completions', { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json', 'openai-project': 'proj_someone_else' } });
    expect(other.status).toBe(403);
    expect((await errorOf(other)).code).toBe('scope_not_allowed');
    const same = await send('/v1/chat/completions', { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json', 'openai-project': 'proj_limited' } });
    expect(same.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['openai-project']).toBeUndefined();
    expect(seen[0]?.headers['openai-organization']).toBeUndefined();
    // Nor do the upstream's own organisation and project reach the client.
    expect(same.headers.get('openai-organization')).toBeNull();
    expect(same.headers.get('openai-project')).toBeNull();
  });

  it('refuses encoded dot segments and slashes (..%2f was forwarded verbatim)', async () => {
    for (const path of ['/v1/chat/..%2f..%2forganization/admin_api_keys', '/v1/files%2F..%2Forganization', '/v1/chat/completions%00', '/v1//chat/completions']) {
      const response = await send(path, { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json' } });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
    }
    expect(seen).toEqual([]);
  });

  it('redacts the injected key from upstream errors: its masked hint and the key itself', async () => {
    answer = { status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: sk-proj-****${KEY.slice(-4)}. You can find your API key at …`, code: 'invalid_api_key' } }) };
    const hinted = await send('/v1/chat/completions', { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json' } });
    expect(hinted.status).toBe(401);
    const hintedText = await hinted.text();
    expect(hintedText).not.toContain(KEY.slice(-4));
    expect(hintedText).toContain('Incorrect API key provided: [key redacted by rekey proxy]');
    answer = { status: 400, body: JSON.stringify({ error: { message: `bad header: Bearer ${KEY}` } }) };
    const echoed = await send('/v1/chat/completions', { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json' } });
    const echoedText = await echoed.text();
    expect(echoedText).not.toContain(KEY.slice(8, 24));
    expect(echoedText).not.toContain(KEY.slice(-4));
  });

  it('answers 504 when the upstream sends no headers in time', async () => {
    answer = { status: 200, body: '{}', delayMilliseconds: 1_500 };
    const response = await send('/v1/chat/completions', { method: 'POST', body: chat('gpt-4o-mini'), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(504);
    expect((await errorOf(response)).code).toBe('upstream_timeout');
  });

  it('limits each token\'s rate with 429 and retry-after, other tokens unaffected', async () => {
    // One request per 10 s: the second, sent at once, is over the rate however slow this machine is.
    const slow = await startProxy({ store: fixture.store, vault: fixture.vault, upstreams: { openai: upstreamUrl }, meterFlushMilliseconds: 3_600_000, tokenRequestsPerSecond: 0.1 });
    try {
      const call = (token: string) => fetch(`${slow.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
      expect((await call(limited)).status).toBe(200);
      const refused = await call(limited);
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
      expect((await call(granted)).status).toBe(200);
    } finally {
      await slow.close();
    }
  });

  it('still serves the official client for what the token is allowed', async () => {
    answer = { status: 200, body: JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'openai' }] }) };
    const client = new OpenAI({ apiKey: granted, baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['gpt-4o-mini']);
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe('proxy connections', () => {
  const startSmall = (extra: Parameters<typeof startProxy>[0] extends infer O ? Partial<O> : never) =>
    startProxy({ store: fixture.store, vault: fixture.vault, upstreams: { openai: upstreamUrl }, meterFlushMilliseconds: 3_600_000, ...extra });

  it('disconnects a client that trickles its headers (slowloris) instead of holding the socket', async () => {
    const small = await startSmall({ headersTimeoutMilliseconds: 300 });
    try {
      const port = Number(new URL(small.url).port);
      const socket = connect(port, '127.0.0.1');
      const ended = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
      socket.on('error', () => undefined);
      const started = Date.now();
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
      const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
      const closedAt = await ended;
      clearInterval(trickle);
      expect(closedAt - started).toBeLessThan(3_000);
    } finally {
      await small.close();
    }
  });

  it('drops connections beyond --max-connections', async () => {
    const small = await startSmall({ maxConnections: 2 });
    try {
      const port = Number(new URL(small.url).port);
      const open = (): Promise<'open' | 'dropped'> =>
        new Promise((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
          });
          socket.on('data', () => resolve('open'));
          socket.on('close', () => resolve('dropped'));
          socket.on('error', () => resolve('dropped'));
          sockets.push(socket);
        });
      const sockets: ReturnType<typeof connect>[] = [];
      expect(await open()).toBe('open');
      expect(await open()).toBe('open');
      expect(await open()).toBe('dropped');
      for (const socket of sockets) socket.destroy();
    } finally {
      await small.close();
    }
  });

  it('drains a stream in flight on close, and takes no new connection', async () => {
    const small = await startSmall({});
    answer = { status: 200, body: '{"last":true}', delayMilliseconds: 600, stream: true };
    const response = await fetch(`${small.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] }), headers: { authorization: `Bearer ${limited}`, 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    const closing = small.close({ drainMilliseconds: 5_000 });
    const text = await response.text();
    await closing;
    expect(text).toContain('"last":true');
    expect(text).toContain('[DONE]');
    await expect(fetch(`${small.url}/healthz`)).rejects.toThrow();
  });
});
