/** OpenRouter key management and inference through plain fetch (there is no official Node client to use here). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 5 });
});
afterAll(async () => {
  await emulator.close();
});

async function call(path: string, key: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${emulator.openrouterBaseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const chat = (key: string) => call('/chat/completions', key, { method: 'POST', body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } });

describe('openrouter emulation', () => {
  it('creates a key (201, value once), the key works, disable gives 401, delete removes it', async () => {
    const management = emulator.adminKeys.openrouter.reveal();
    const created = await call('/keys', management, { method: 'POST', body: { name: 'rotation-1', limit: 10 } });
    expect(created.status).toBe(201);
    const value = created.body['key'] as string;
    const data = created.body['data'] as { hash: string; label: string; disabled: boolean; limit: number };
    expect(value).toMatch(/^sk-or-v1-[0-9a-f]{64}$/);
    expect(data.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(data.label).not.toContain(value);
    expect(data).toMatchObject({ disabled: false, limit: 10 });

    expect((await chat(value)).status).toBe(200);
    const info = await call('/key', value);
    expect(info.body['data']).toMatchObject({ is_management_key: false, label: data.label });
    expect(((info.body['data'] as { usage: number }).usage)).toBeGreaterThan(0);

    const listed = await call('/keys', management);
    expect((listed.body['data'] as Array<{ hash: string }>).map((key) => key.hash)).toContain(data.hash);
    expect(JSON.stringify(listed.body)).not.toContain(value);

    const disabled = await call(`/keys/${data.hash}`, management, { method: 'PATCH', body: { disabled: true } });
    expect(disabled.body['data']).toMatchObject({ disabled: true });
    expect((await chat(value)).status).toBe(401);
    await call(`/keys/${data.hash}`, management, { method: 'PATCH', body: { disabled: false } });
    expect((await chat(value)).status).toBe(200);

    expect((await call(`/keys/${data.hash}`, management, { method: 'DELETE' })).body).toEqual({ deleted: true });
    expect((await chat(value)).status).toBe(401);
    expect((await call(`/keys/${data.hash}`, management)).status).toBe(404);
    expect(emulator.listAllKeys().find((key) => key.id === data.hash)?.status).toBe('revoked');
  });

  it('keeps management and inference keys apart, and lists models without auth', async () => {
    const management = emulator.adminKeys.openrouter.reveal();
    expect((await chat(management)).status).toBe(401);
    const created = await call('/keys', management, { method: 'POST', body: { name: 'plain' } });
    const value = created.body['key'] as string;
    expect((await call('/keys', value)).status).toBe(401);
    const models = await fetch(`${emulator.openrouterBaseUrl}/models`);
    expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
  });
});
