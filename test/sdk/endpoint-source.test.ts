/** The SDK against a real `rekey serve` socket and the emulator, with the official clients. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createKeySource, rotationProofAnthropic, rotationProofOpenAI, type SdkKey } from '../../src/sdk/index.js';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/ticketing/prod';
let emulator: RunningEmulator;
let fixture: KeyFixture;
let server: RunningKeyServer;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 11 });
  fixture = await createKeyFixture();
  const first = await emulator.seedOpenAIProject('ticketing-1');
  await fixture.addCredential(NAME, first.key.reveal());
  token = (await issueAccessToken(fixture.store, { kind: 'read', name: 'ticketing-api', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  server = await startKeyServer({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 50 });
});
afterAll(async () => {
  await server.close();
  await fixture.close();
  await emulator.close();
});

function waitFor(source: ReturnType<typeof createKeySource>, predicate: (keys: readonly SdkKey[]) => boolean): Promise<readonly SdkKey[]> {
  return new Promise((resolve) => {
    const stop = source.onChange((keys) => {
      if (!predicate(keys)) return;
      stop();
      resolve(keys);
    });
  });
}

describe('key source from the rekey endpoint', () => {
  it('delivers a rotation to a running client by long poll, and the official client keeps working', async () => {
    const source = createKeySource({ credential: NAME, from: { url: server.url, token, instance: 'pod-1', checkInIntervalMilliseconds: 60_000 } });
    const openai = rotationProofOpenAI(OpenAI, source, { baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0]?.message.content).toEqual(expect.any(String));
    expect((await source.current()).version).toBe(1);

    const second = await emulator.seedOpenAIProject('ticketing-2');
    const changed = waitFor(source, (keys) => keys[0]?.version === 2);
    await fixture.rotate(NAME, second.key.reveal());
    const keys = await changed;
    expect(keys.map((key) => [key.version, key.stage])).toEqual([[2, 'current'], [1, 'previous']]);
    expect(keys[0]?.value.reveal()).toBe(second.key.reveal());

    await openai.models.list();
    await source.close();
    const credential = await fixture.store.getCredential(NAME);
    const since = new Date(Date.now() - 120_000);
    expect(await fixture.store.listConsumerUsage(credential?.id ?? '', 1, since)).toEqual([expect.objectContaining({ source: 'sdk', consumer: 'ticketing-api/pod-1', requests: 1 })]);
    expect(await fixture.store.listConsumerUsage(credential?.id ?? '', 2, since)).toEqual([expect.objectContaining({ source: 'sdk', consumer: 'ticketing-api/pod-1', requests: 1 })]);
  });

  it('reports a refused token clearly, without the token', async () => {
    const bad = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const source = createKeySource({ credential: NAME, from: { url: server.url, token: bad } });
    const error = await source.current().then(() => undefined, (caught: unknown) => caught as Error);
    expect(error?.message).toMatch(/refused the read token \(HTTP 401\)/);
    expect(error?.message).not.toContain(bad);
    await source.close();
  });
});

describe('fetchWithRotation', () => {
  it('retries once with the other key when the provider refuses the current one', async () => {
    const live = await emulator.seedOpenAIProject('retry-live');
    const dead = await emulator.seedOpenAIProject('retry-dead');
    const admin = new OpenAI({ apiKey: null, adminAPIKey: emulator.adminKeys.openai.reveal(), baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
    await admin.admin.organization.projects.serviceAccounts.delete(dead.serviceAccountId, { project_id: dead.projectId });
    // A stale process: its "current" key was revoked, the other slot is the live one.
    const environment = { KEY: dead.key.reveal(), KEY_V1: dead.key.reveal(), KEY_V2: live.key.reveal() };
    const source = createKeySource({ credential: 'c', from: { env: 'KEY', environment } });
    const response = await source.fetchWithRotation(`${emulator.openaiBaseUrl}/models`);
    expect(response.status).toBe(200);

    const alone = createKeySource({ credential: 'c', from: { env: 'KEY', environment: { KEY: dead.key.reveal() } } });
    expect((await alone.fetchWithRotation(`${emulator.openaiBaseUrl}/models`)).status).toBe(401);
  });

  it('replays a streamed request body on the retry', async () => {
    const seen: string[] = [];
    const environment = { KEY: 'sk-stale', KEY_V1: 'sk-stale', KEY_V2: 'sk-fresh' };
    const source = createKeySource({ credential: 'c', from: { env: 'KEY', environment } });
    const { rotatingFetch } = await import('../../src/sdk/index.js');
    const fetchStub = async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(`${new Headers(init?.headers).get('authorization')} ${await new Response(init?.body).text()}`);
      return new Response(null, { status: new Headers(init?.headers).get('authorization') === 'Bearer sk-fresh' ? 200 : 401 });
    };
    const body = new ReadableStream({ start: (controller) => { controller.enqueue(new TextEncoder().encode('{"a":1}')); controller.close(); } });
    const response = await rotatingFetch(source, undefined, fetchStub)('http://upstream/x', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(seen).toEqual(['Bearer sk-stale {"a":1}', 'Bearer sk-fresh {"a":1}']);
  });

  it('makes the Anthropic client send x-api-key and retry with the other key', async () => {
    const seen: Array<{ apiKey: string | null; authorization: string | null }> = [];
    const environment = { KEY: 'sk-ant-api03-old', KEY_V1: 'sk-ant-api03-old', KEY_V2: 'sk-ant-api03-new' };
    const source = createKeySource({ credential: 'anthropic/app/prod', from: { env: 'KEY', environment } });
    const fetchStub = async (_input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      seen.push({ apiKey: headers.get('x-api-key'), authorization: headers.get('authorization') });
      if (headers.get('x-api-key') !== 'sk-ant-api03-new') {
        return Response.json({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }, { status: 401 });
      }
      return Response.json({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } });
    };
    const anthropic = rotationProofAnthropic(Anthropic, source, { baseURL: 'http://anthropic.invalid', maxRetries: 0, fetch: fetchStub });
    const message = await anthropic.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.id).toBe('msg_1');
    expect(seen).toEqual([
      { apiKey: 'sk-ant-api03-old', authorization: null },
      { apiKey: 'sk-ant-api03-new', authorization: null },
    ]);
  });
});
