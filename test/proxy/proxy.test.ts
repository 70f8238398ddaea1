/** The proxy on a real socket in front of the emulator, driven by the official clients. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import type { ProxyLogEntry } from '../../src/proxy/proxy-handler.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/ticketing/prod';
const LIMITED = 'openai/limited/prod';
let emulator: RunningEmulator;
let fixture: KeyFixture;
let proxy: RunningProxy;
let virtualToken: string;
let limitedToken: string;
let firstSeed: Awaited<ReturnType<RunningEmulator['seedOpenAIProject']>>;
const logs: ProxyLogEntry[] = [];
const planted: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ seed: 21 });
  fixture = await createKeyFixture();
  firstSeed = await emulator.seedOpenAIProject('ticketing-1');
  planted.push(firstSeed.key.reveal());
  await fixture.addCredential(NAME, firstSeed.key.reveal());
  const limited = await emulator.seedOpenAIProject('limited');
  planted.push(limited.key.reveal());
  await fixture.addCredential(LIMITED, limited.key.reveal(), { allowedModels: ['gpt-4o-mini', 'gpt-4o'] });
  virtualToken = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'ticketing-api', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  limitedToken = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'batch-job', credentials: [LIMITED], allowedModels: ['gpt-4o-mini', 'gpt-4.1'], createdBy: 'test' }, new Date())).secret;
  planted.push(virtualToken, limitedToken);
  // A long poll interval and no key-change watch: the proxy must not learn of rotations in the
  // background during these tests (the retry test needs a proxy that has not heard of one).
  const unwatched = Object.create(fixture.store) as typeof fixture.store;
  unwatched.watchKeyChanges = async () => ({ close: async () => undefined });
  proxy = await startProxy({
    store: unwatched,
    vault: fixture.vault,
    upstreams: { openai: emulator.openaiBaseUrl },
    pollIntervalMilliseconds: 3_600_000,
    meterFlushMilliseconds: 3_600_000,
    log: (entry) => logs.push(entry),
  });
});
afterAll(async () => {
  await proxy.close();
  await fixture.close();
  await emulator.close();
  const text = JSON.stringify(logs);
  for (const secret of planted) expect(text).not.toContain(secret);
});

const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${proxy.url}/v1`, maxRetries: 0 });

describe('proxy', () => {
  it('answers through the official client with the real key injected, and meters the request', async () => {
    const reply = await client(virtualToken).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] });
    expect(reply.choices[0]?.message.content).toEqual(expect.any(String));
    const models = await client(virtualToken).models.list();
    expect(models.data.length).toBeGreaterThan(0);
    const total = proxy.meter.totals().find((entry) => entry.token === 'ticketing-api' && entry.version === 1);
    expect(total?.requests).toBe(2);
    expect(total?.statuses).toEqual({ '200': 2 });
    expect(total?.inputTokens).toBe(reply.usage?.prompt_tokens);
    expect(total?.outputTokens).toBe(reply.usage?.completion_tokens);
  });

  it('streams, and counts the tokens of the final usage chunk', async () => {
    const before = proxy.meter.totals().find((entry) => entry.token === 'ticketing-api')?.outputTokens ?? 0;
    const stream = await client(virtualToken).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let completionTokens = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
    }
    expect(text.length).toBeGreaterThan(0);
    const after = proxy.meter.totals().find((entry) => entry.token === 'ticketing-api')?.outputTokens ?? 0;
    expect(after - before).toBe(completionTokens);
  });

  it('exposes health, and Prometheus metrics by credential, version and token to a proxy token only, without secrets', async () => {
    expect(await (await fetch(`${proxy.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${proxy.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${proxy.url}/metrics`, { headers: { authorization: `Bearer rk_proxy_aaaaaaaaaaaa_${'A'.repeat(43)}` } })).status).toBe(401);
    const metrics = await (await fetch(`${proxy.url}/metrics`, { headers: { authorization: `Bearer ${virtualToken}` } })).text();
    expect(metrics).toMatch(new RegExp(`rekey_proxy_requests_total\\{credential="${NAME}",version="1",token="ticketing-api",status="200"\\} \\d+`));
    expect(metrics).toContain('direction="output"');
    for (const secret of planted) expect(metrics).not.toContain(secret);
  });

  it('refuses a wrong or missing virtual token with 401, and a real provider key is not a virtual token', async () => {
    await expect(client('rk_proxy_aaaaaaaaaaaa_' + 'A'.repeat(43)).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client(planted[0] ?? '').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('enforces allowed models per token and per credential with a clear 403', async () => {
    const limited = client(limitedToken);
    await expect(limited.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ok' }] })).resolves.toBeDefined();
    const byToken = await limited.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'no' }] }).catch((error: unknown) => error);
    expect(byToken).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((byToken as Error).message).toContain('model gpt-4o is not allowed for token batch-job (allowed: gpt-4o-mini, gpt-4.1)');
    const byCredential = await limited.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'no' }] }).catch((error: unknown) => error);
    expect(byCredential).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((byCredential as Error).message).toContain(`model gpt-4.1 is not allowed for credential ${LIMITED}`);
    // The refused requests never reached the provider, so they are not metered against a key.
    expect(proxy.meter.totals().find((entry) => entry.token === 'batch-job')?.requests).toBe(1);
  });

  it('retries with the new key when the old one was revoked before this proxy heard of the rotation', async () => {
    const second = await emulator.seedOpenAIProject('ticketing-2');
    planted.push(second.key.reveal());
    await client(virtualToken).models.list(); // key set cached with version 1
    await fixture.rotate(NAME, second.key.reveal());
    const admin = new OpenAI({ apiKey: null, adminAPIKey: emulator.adminKeys.openai.reveal(), baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
    const first = (await fixture.store.getCredential(NAME))!;
    await admin.admin.organization.projects.serviceAccounts.delete(firstSeed.serviceAccountId, { project_id: firstSeed.projectId });
    expect(emulator.isKeyLive(planted[0] ?? '')).toBe(false);

    logs.length = 0;
    const response = await client(virtualToken).models.list().withResponse();
    expect(response.response.headers.get('x-rekey-key-version')).toBe('2');
    expect(logs.at(-1)).toMatchObject({ token: 'ticketing-api', credential: NAME, version: 2, status: 200, retried: true });

    await proxy.meter.flush();
    const observations = await fixture.store.listConsumerUsage(first.id, 2, new Date(Date.now() - 120_000));
    expect(observations).toEqual([expect.objectContaining({ source: 'proxy', consumer: 'ticketing-api', requests: 1 })]);
    expect((await fixture.store.listConsumerUsage(first.id, 1, new Date(Date.now() - 120_000)))[0]?.requests).toBeGreaterThan(0);
  });
});

describe('proxy streaming and Anthropic routing', () => {
  let upstream: Server;
  let upstreamUrl: string;
  let releaseSecondChunk: () => void = () => undefined;
  let holdSecondChunk = true;
  const upstreamSaw: Array<{ path: string; apiKey: string | undefined; authorization: string | undefined }> = [];
  let anthropicProxy: RunningProxy;
  let anthropicToken: string;

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      upstreamSaw.push({ path: request.url ?? '', apiKey: request.headers['x-api-key'] as string | undefined, authorization: request.headers.authorization });
      request.resume();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":7,"output_tokens":1}}}\n\n');
      new Promise<void>((resolve) => {
        releaseSecondChunk = resolve;
        if (!holdSecondChunk) resolve();
      }).then(() => {
        response.end('event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":12}}\n\n');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    await fixture.addCredential('anthropic/app/prod', 'sk-ant-api03-upstreamvalue', { provider: 'anthropic' });
    planted.push('sk-ant-api03-upstreamvalue');
    anthropicToken = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'claude-app', credentials: ['anthropic/app/prod'], allowedModels: [], createdBy: 'test' }, new Date())).secret;
    anthropicProxy = await startProxy({ store: fixture.store, vault: fixture.vault, upstreams: { anthropic: upstreamUrl }, log: (entry) => logs.push(entry) });
  });
  afterAll(async () => {
    await anthropicProxy.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('passes the first event through before the upstream has finished (no buffering), with x-api-key injected', async () => {
    const response = await fetch(`${anthropicProxy.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': anthropicToken, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-x', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('message_start');
    // Only now does the upstream send the rest: a buffering proxy would never have answered.
    releaseSecondChunk();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toContain('message_delta');
    expect(upstreamSaw.at(-1)).toEqual({ path: '/v1/messages', apiKey: 'sk-ant-api03-upstreamvalue', authorization: undefined });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const total = anthropicProxy.meter.totals().find((entry) => entry.token === 'claude-app');
    expect(total).toMatchObject({ requests: 1, inputTokens: 7, outputTokens: 12 });
  });

  it('works for the official Anthropic client pointed at the proxy', async () => {
    const anthropic = new Anthropic({ apiKey: anthropicToken, baseURL: `${anthropicProxy.url}/anthropic`, maxRetries: 0 });
    holdSecondChunk = false;
    const pending = anthropic.messages.create({ model: 'claude-x', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const events: string[] = [];
    for await (const event of await pending) events.push(event.type);
    expect(events).toEqual(['message_start', 'message_delta']);
  });
});
