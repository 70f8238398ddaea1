/**
 * SDK misconfiguration must not look like an OpenAI outage (issue #12): with the official
 * `openai` client, each problem arrives as a named error whose message says why, `onError`
 * hears it, and options that cannot work are refused at creation. Against a real
 * `rekey serve` socket and the emulator.
 */
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import {
  createKeySource,
  EndpointUnreachableError,
  KeySourceConfigError,
  KeySourceError,
  NoKeyError,
  rotationProofOpenAI,
  TokenNotAllowedError,
  TokenRefusedError,
} from '../../src/sdk/index.js';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/ticketing/prod';
let emulator: RunningEmulator;
let fixture: KeyFixture;
let server: RunningKeyServer;
let token: string;
let otherToken: string;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 12 });
  fixture = await createKeyFixture();
  const seeded = await emulator.seedOpenAIProject('ticketing');
  await fixture.addCredential(NAME, seeded.key.reveal());
  token = (await issueAccessToken(fixture.store, { kind: 'read', name: 'ticketing-api', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  await fixture.addCredential('openai/other/prod', 'sk-proj-' + 'c'.repeat(40));
  otherToken = (await issueAccessToken(fixture.store, { kind: 'read', name: 'other-api', credentials: ['openai/other/prod'], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  server = await startKeyServer({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 50 });
});
afterAll(async () => {
  await server.close();
  await fixture.close();
  await emulator.close();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function chat(from: { url: string; token: string }, credential = NAME): Promise<{ error: unknown; heard: Error[] }> {
  const heard: Error[] = [];
  const source = createKeySource({ credential, from: { ...from, checkInIntervalMilliseconds: 60_000 }, onError: (error) => heard.push(error) });
  const openai = rotationProofOpenAI(OpenAI, source, { baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
  const error = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  await source.close();
  return { error, heard };
}

describe('SDK errors that say what is wrong (official openai client)', () => {
  it('endpoint unreachable: EndpointUnreachableError naming the URL and "connection refused", not APIConnectionError', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { error, heard } = await chat({ url, token });
    expect(error).toBeInstanceOf(EndpointUnreachableError);
    expect(error).not.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(String(error)).toMatch(new RegExp(`^EndpointUnreachableError: rekey endpoint ${url} is unreachable: connection refused`));
    expect(heard[0]).toBe(error);
  });

  it('token refused: TokenRefusedError saying HTTP 401 and how to make a token', async () => {
    const { error, heard } = await chat({ url: server.url, token: 'rk_read_wrong_' + 'x'.repeat(30) });
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect((error as Error).message).toMatch(/refused the read token \(HTTP 401\).*rekey token create/);
    expect(heard).toHaveLength(1);
  });

  it('token not allowed: TokenNotAllowedError naming the credential', async () => {
    const { error } = await chat({ url: server.url, token: otherToken });
    expect(error).toBeInstanceOf(TokenNotAllowedError);
    expect((error as Error).message).toContain(`may not read ${NAME} (HTTP 403)`);
  });

  it('no key: NoKeyError for a credential that does not exist or a variable that is unset', async () => {
    const heard: Error[] = [];
    const source = createKeySource({ credential: 'openai/ticketing/prod', from: { env: 'REKEY_TEST_UNSET_VARIABLE', environment: {} }, onError: (error) => heard.push(error) });
    const openai = rotationProofOpenAI(OpenAI, source, { baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
    const error = await openai.models.list().then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoKeyError);
    expect((error as Error).message).toContain('REKEY_TEST_UNSET_VARIABLE');
    expect(heard[0]).toBe(error);
  });

  it('a missing read token or a bad URL is refused at creation, before any request', () => {
    expect(() => createKeySource({ credential: NAME, from: { url: server.url, token: process.env['REKEY_TEST_NO_SUCH_TOKEN'] as unknown as string } })).toThrow(KeySourceConfigError);
    expect(() => createKeySource({ credential: NAME, from: { url: server.url, token: '' } })).toThrow(/from\.token is missing or empty/);
    expect(() => createKeySource({ credential: NAME, from: { url: 'rekey:8420', token } })).toThrow(/from\.url must be the http\(s\) URL/);
    expect(() => createKeySource({ credential: '', from: { url: server.url, token } })).toThrow(KeySourceError);
  });

  it('with a good configuration the wrapped client still works, and its own errors pass through', async () => {
    const source = createKeySource({ credential: NAME, from: { url: server.url, token, checkInIntervalMilliseconds: 60_000 } });
    const openai = rotationProofOpenAI(OpenAI, source, { baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0]?.message.content).toEqual(expect.any(String));
    const page = await openai.models.list();
    expect(page.data.length).toBeGreaterThan(0);
    const { data, response } = await openai.models.list().withResponse();
    expect(response.status).toBe(200);
    expect(data.data.length).toBeGreaterThan(0);
    const missing = await openai.models.retrieve('no-such-model').then(() => undefined, (caught: unknown) => caught);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    await source.close();
  });
});
