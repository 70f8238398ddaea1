/** The official Anthropic client against the emulator: through the proxy, and rotation-proof through the SDK. */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { createKeySource, rotationProofAnthropic } from '../../src/sdk/index.js';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'anthropic/support/prod';
let emulator: RunningEmulator;
let fixture: KeyFixture;
let proxy: RunningProxy;
let virtualToken: string;
let firstKey: { id: string; value: string };

beforeAll(async () => {
  emulator = await startEmulator({ seed: 61 });
  fixture = await createKeyFixture();
  const created = emulator.createAnthropicKey('support-1');
  firstKey = { id: created.id, value: created.key.reveal() };
  await fixture.addCredential(NAME, firstKey.value, { provider: 'anthropic', allowedModels: [] });
  virtualToken = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'support-bot', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  proxy = await startProxy({ store: fixture.store, vault: fixture.vault, upstreams: { anthropic: emulator.anthropicBaseUrl }, pollIntervalMilliseconds: 3_600_000 });
});
afterAll(async () => {
  await proxy.close();
  await fixture.close();
  await emulator.close();
});

async function firstModel(client: Anthropic): Promise<string> {
  const models = await client.models.list();
  const id = models.data[0]?.id;
  if (id === undefined) throw new Error('the emulator lists no Anthropic model');
  return id;
}

describe('Anthropic', () => {
  it('answers messages through the proxy with a virtual token, streamed and not, and meters tokens', async () => {
    const client = new Anthropic({ apiKey: virtualToken, baseURL: `${proxy.url}/anthropic`, maxRetries: 0 });
    const model = await firstModel(client);
    const message = await client.messages.create({ model, max_tokens: 32, messages: [{ role: 'user', content: 'hello' }] });
    expect(message.content[0]?.type).toBe('text');
    const stream = await client.messages.create({ model, max_tokens: 32, stream: true, messages: [{ role: 'user', content: 'stream please' }] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toContain('message_stop');
    const total = proxy.meter.totals().find((entry) => entry.token === 'support-bot');
    expect(total?.requests).toBe(3);
    expect(total?.outputTokens).toBeGreaterThan(0);
  });

  it('keeps a rotation-proof client working when its current key was revoked', async () => {
    const second = emulator.createAnthropicKey('support-2');
    // A process that still believes the first key is current, with the new key in the other slot.
    const environment = { KEY: firstKey.value, KEY_V1: firstKey.value, KEY_V2: second.key.reveal() };
    const source = createKeySource({ credential: NAME, from: { env: 'KEY', environment } });
    const client = rotationProofAnthropic(Anthropic, source, { baseURL: emulator.anthropicBaseUrl, maxRetries: 0 });
    const model = await firstModel(client);
    const admin = await fetch(`${emulator.anthropicBaseUrl}/v1/organizations/api_keys/${firstKey.id}`, {
      method: 'POST',
      headers: { 'x-api-key': emulator.adminKeys.anthropic.reveal(), 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'inactive' }),
    });
    expect(admin.status).toBe(200);
    expect(emulator.isKeyLive(firstKey.value)).toBe(false);
    const message = await client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'still there?' }] });
    expect(message.type).toBe('message');
  });
});
