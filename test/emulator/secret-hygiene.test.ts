/** The emulator never writes a key value to a log, and error bodies never carry one. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';

let emulator: RunningEmulator;
const written: string[] = [];

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' ')));
  }
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  emulator = await startEmulator({ seed: 99 });
});
afterAll(async () => {
  await emulator.close();
  vi.restoreAllMocks();
});

describe('emulator secret hygiene', () => {
  it('keeps planted values out of logs and error bodies across success and failure paths', async () => {
    const seeded = await emulator.seedOpenAIProject('hygiene');
    const anthropic = emulator.createAnthropicKey('hygiene');
    const planted = [seeded.key.reveal(), anthropic.key.reveal(), emulator.adminKeys.openai.reveal(), emulator.adminKeys.anthropic.reveal(), emulator.adminKeys.openrouter.reveal()];
    const errorBodies: string[] = [];
    const send = async (url: string, init: RequestInit) => {
      const response = await fetch(url, init);
      const text = await response.text();
      if (response.status >= 400) errorBodies.push(text);
    };
    const openaiKey = { authorization: `Bearer ${seeded.key.reveal()}`, 'content-type': 'application/json' };
    const adminKey = { authorization: `Bearer ${emulator.adminKeys.openai.reveal()}`, 'content-type': 'application/json' };
    await send(`${emulator.openaiBaseUrl}/chat/completions`, { method: 'POST', headers: openaiKey, body: '{not json' });
    await send(`${emulator.openaiBaseUrl}/chat/completions`, { method: 'POST', headers: openaiKey, body: JSON.stringify({ model: 'nope', messages: [] }) });
    await send(`${emulator.openaiBaseUrl}/organization/projects`, { method: 'GET', headers: openaiKey });
    await send(`${emulator.openaiBaseUrl}/models`, { method: 'GET', headers: adminKey });
    await send(`${emulator.openaiBaseUrl}/no/such/route`, { method: 'GET', headers: adminKey });
    await send(`${emulator.openaiBaseUrl}/organization/usage/completions?start_time=abc`, { method: 'GET', headers: adminKey });
    await send(`${emulator.anthropicBaseUrl}/v1/messages`, { method: 'POST', headers: { 'x-api-key': anthropic.key.reveal(), 'anthropic-version': '2023-06-01' }, body: '[]' });
    await send(`${emulator.anthropicBaseUrl}/v1/organizations/api_keys`, { method: 'GET', headers: { 'x-api-key': anthropic.key.reveal(), 'anthropic-version': '2023-06-01' } });
    await send(`${emulator.openrouterBaseUrl}/keys`, { method: 'POST', headers: { authorization: `Bearer ${emulator.adminKeys.openrouter.reveal()}` }, body: '{"name": 5}' });
    emulator.setKnobs({ rate429: 1 });
    await send(`${emulator.openaiBaseUrl}/models`, { method: 'GET', headers: openaiKey });
    emulator.setKnobs({ rate429: 0, rate5xx: 1 });
    await send(`${emulator.anthropicBaseUrl}/v1/models`, { method: 'GET', headers: { 'x-api-key': anthropic.key.reveal(), 'anthropic-version': '2023-06-01' } });
    emulator.setKnobs({ rate5xx: 0 });
    await send(`${emulator.openaiBaseUrl}/organization/projects/${seeded.projectId}/service_accounts/${seeded.serviceAccountId}`, { method: 'DELETE', headers: adminKey });
    await send(`${emulator.openaiBaseUrl}/models`, { method: 'GET', headers: openaiKey });

    expect(errorBodies.length).toBeGreaterThanOrEqual(12);
    const everything = [...written, ...errorBodies].join('\n');
    for (const value of planted) expect(everything).not.toContain(value);
    expect(errorBodies.at(-1)).toContain('invalid_api_key');
  });
});
