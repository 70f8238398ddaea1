/** The official `@anthropic-ai/sdk` client pointed at the emulator. */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';

let emulator: RunningEmulator;
let admin: Anthropic;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 11 });
  admin = new Anthropic({ apiKey: emulator.adminKeys.anthropic.reveal(), baseURL: emulator.anthropicBaseUrl, maxRetries: 0 });
});
afterAll(async () => {
  await emulator.close();
});

const client = (key: string) => new Anthropic({ apiKey: key, baseURL: emulator.anthropicBaseUrl, maxRetries: 0 });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('anthropic client against the emulator', () => {
  it('lists models and answers messages with a console-created key', async () => {
    const { key } = emulator.createAnthropicKey('app');
    expect(key.reveal()).toMatch(/^sk-ant-api03-[A-Za-z0-9_-]{93}AA$/);
    const models = await client(key.reveal()).models.list();
    expect(models.data.map((model) => model.id)).toContain('claude-sonnet-4-20250514');

    const message = await client(key.reveal()).messages.create({ model: 'claude-sonnet-4-20250514', max_tokens: 64, messages: [{ role: 'user', content: 'ping' }] });
    expect(message.type).toBe('message');
    expect(message.content[0]?.type).toBe('text');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streams messages with the real event sequence', async () => {
    const { key } = emulator.createAnthropicKey('streamer');
    const stream = await client(key.reveal()).messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens: 200, stream: true, messages: [{ role: 'user', content: 'hello' }] });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types).toContain('content_block_delta');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(text).toContain('rekey emulator');

    const final = await client(key.reveal()).messages.stream({ model: 'claude-3-5-haiku-20241022', max_tokens: 200, messages: [{ role: 'user', content: 'hello' }] }).finalMessage();
    expect(final.content[0]?.type === 'text' && final.content[0].text).toBe(text);
  });

  it('admin api keys: list, get, set inactive (401 on inference), archived cannot come back', async () => {
    const { id, key } = emulator.createAnthropicKey('to-rotate', 'wrkspc_01TestWorkspace0000000000');
    const listed = await admin.organization.apiKeys.list({ workspace_id: 'wrkspc_01TestWorkspace0000000000' });
    expect(listed.data.map((apiKey) => apiKey.id)).toEqual([id]);
    const fetched = await admin.organization.apiKeys.retrieve(id);
    expect(fetched).toMatchObject({ id, name: 'to-rotate', status: 'active', type: 'api_key' });
    expect(fetched.partial_key_hint).toMatch(/^sk-ant-api03-.{3}\.\.\..{4}$/);
    expect(JSON.stringify(fetched)).not.toContain(key.reveal());

    const updated = await admin.organization.apiKeys.update(id, { status: 'inactive' });
    expect(updated.status).toBe('inactive');
    const error = await rejection(client(key.reveal()).models.list());
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(emulator.isKeyLive(key.reveal())).toBe(false);

    await admin.organization.apiKeys.update(id, { status: 'active' });
    expect(emulator.isKeyLive(key.reveal())).toBe(true);
    await admin.organization.apiKeys.update(id, { status: 'archived' });
    expect(emulator.isKeyLive(key.reveal())).toBe(false);
    expect(await rejection(admin.organization.apiKeys.update(id, { status: 'active' }))).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('refuses a workspace key on admin routes and the admin key on inference', async () => {
    const { key } = emulator.createAnthropicKey('plain');
    expect(await rejection(client(key.reveal()).organization.apiKeys.list())).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await rejection(admin.models.list())).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('usage report groups real message traffic by api_key_id', async () => {
    const first = emulator.createAnthropicKey('usage-a');
    const second = emulator.createAnthropicKey('usage-b');
    const start = new Date(Date.now() - 60_000).toISOString();
    for (const key of [first.key, first.key, second.key]) {
      await client(key.reveal()).messages.create({ model: 'claude-sonnet-4-20250514', max_tokens: 16, messages: [{ role: 'user', content: 'count me' }] });
    }
    const url = `${emulator.anthropicBaseUrl}/v1/organizations/usage_report/messages?starting_at=${encodeURIComponent(start)}&bucket_width=1d&group_by[]=api_key_id&api_key_ids[]=${first.id}&api_key_ids[]=${second.id}`;
    const response = await fetch(url, { headers: { 'x-api-key': emulator.adminKeys.anthropic.reveal(), 'anthropic-version': '2023-06-01' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const body = (await response.json()) as { data: Array<{ results: Array<{ api_key_id: string; output_tokens: number; uncached_input_tokens: number }> }> };
    const results = body.data.flatMap((bucket) => bucket.results);
    const outputFor = (id: string) => results.filter((result) => result.api_key_id === id).reduce((sum, result) => sum + result.output_tokens, 0);
    expect(outputFor(first.id)).toBe(2 * outputFor(second.id));
    expect(outputFor(second.id)).toBeGreaterThan(0);
  });

  it('console endpoint creates keys over HTTP with admin-key auth only', async () => {
    const url = `${emulator.url}/anthropic/_emulator_console/api_keys`;
    const denied = await fetch(url, { method: 'POST', headers: { 'x-api-key': 'sk-ant-api03-wrong', 'content-type': 'application/json' }, body: '{"name":"x"}' });
    expect(denied.status).toBe(401);
    const created = await fetch(url, { method: 'POST', headers: { 'x-api-key': emulator.adminKeys.anthropic.reveal(), 'content-type': 'application/json' }, body: '{"name":"from-console"}' });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; value: string };
    expect(emulator.isKeyLive(body.value)).toBe(true);
    expect(emulator.listAllKeys().find((key) => key.id === body.id)).toMatchObject({ provider: 'anthropic', kind: 'api', status: 'active', name: 'from-console' });
  });
});
