/**
 * Test on save against the emulator (issue 20): each provider × each outcome the vendors'
 * documented answers allow — valid, invalid (unknown and revoked keys), no quota (OpenAI 429
 * insufficient_quota, Anthropic's credit-balance 400, OpenRouter limit_remaining 0), no
 * access to a required model, unknown (a 5xx, nothing listening) — and a bad shape refused
 * before any call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKeyShape, createKeyValidator, type KeyValidator } from '../../src/byok/key-validation.js';
import { UsageError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';

describe('BYOK key validation against the emulator', () => {
  let emulator: RunningEmulator;
  let validate: KeyValidator;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 7 });
    validate = createKeyValidator({ bases: { openai: emulator.openaiBaseUrl, anthropic: emulator.anthropicBaseUrl, openrouter: emulator.openrouterBaseUrl } });
    for (const name of ['ok', 'revoked', 'quota', 'models']) keys[`openai-${name}`] = (await emulator.seedOpenAIProject(`p-${name}`)).key.reveal();
    for (const name of ['ok', 'revoked', 'quota', 'models']) keys[`anthropic-${name}`] = emulator.createAnthropicKey(`a-${name}`).key.reveal();
    for (const name of ['ok', 'revoked', 'quota']) {
      const response = await fetch(`${emulator.openrouterBaseUrl}/keys`, { method: 'POST', headers: { authorization: `Bearer ${emulator.adminKeys.openrouter.reveal()}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `o-${name}` }) });
      keys[`openrouter-${name}`] = ((await response.json()) as { key: string }).key;
    }
    for (const provider of ['openai', 'anthropic', 'openrouter']) {
      emulator.revokeKeyByValue(keys[`${provider}-revoked`] ?? '');
      emulator.setKeyCondition(keys[`${provider}-quota`] ?? '', { outOfQuota: true });
    }
    emulator.setKeyCondition(keys['openai-models'] ?? '', { models: ['gpt-4o-mini'] });
    emulator.setKeyCondition(keys['anthropic-models'] ?? '', { models: ['claude-3-5-haiku-latest'] });
  });
  afterAll(async () => emulator.close());

  const check = (provider: 'openai' | 'anthropic' | 'openrouter', name: string, required: string[] = []) => validate(provider, new SecretValue(keys[`${provider}-${name}`] ?? ''), required);

  it('classifies OpenAI answers: valid, invalid, revoked, insufficient_quota, model access', async () => {
    expect(await check('openai', 'ok', ['gpt-4o'])).toEqual({ status: 'valid', detail: 'http 200' });
    expect(await validate('openai', new SecretValue(`sk-proj-${'Q'.repeat(60)}`), [])).toMatchObject({ status: 'invalid', detail: 'http 401 invalid_api_key' });
    expect((await check('openai', 'revoked')).status).toBe('invalid');
    expect(await check('openai', 'quota')).toEqual({ status: 'no-quota', detail: 'insufficient_quota' });
    expect(await check('openai', 'models', ['gpt-4o'])).toEqual({ status: 'no-model-access', detail: 'missing model gpt-4o' });
    expect((await check('openai', 'models', ['gpt-4o-mini'])).status).toBe('valid');
  });

  it('classifies Anthropic answers: valid, invalid, credit balance too low, model access', async () => {
    const anyModel = (await (await fetch(`${emulator.anthropicBaseUrl}/v1/models`, { headers: { 'x-api-key': keys['anthropic-ok'] ?? '', 'anthropic-version': '2023-06-01' } })).json()) as { data: Array<{ id: string }> };
    const other = anyModel.data.map((model) => model.id).find((id) => id !== 'claude-3-5-haiku-latest') ?? 'claude-x';
    expect((await check('anthropic', 'ok')).status).toBe('valid');
    expect((await check('anthropic', 'revoked')).status).toBe('invalid');
    expect(await check('anthropic', 'quota')).toEqual({ status: 'no-quota', detail: 'credit balance too low' });
    expect((await check('anthropic', 'models', [other])).status).toBe('no-model-access');
  });

  it('classifies OpenRouter answers: valid, invalid, no credit left', async () => {
    expect((await check('openrouter', 'ok')).status).toBe('valid');
    expect((await check('openrouter', 'revoked')).status).toBe('invalid');
    expect(await check('openrouter', 'quota')).toEqual({ status: 'no-quota', detail: 'limit_remaining 0' });
  });

  it('says unknown for a 5xx or nothing listening, never invalid', async () => {
    emulator.setKnobs({ rate5xx: 1 });
    try {
      expect((await check('openai', 'ok')).status).toBe('unknown');
    } finally {
      emulator.setKnobs({ rate5xx: 0 });
    }
    const offline = createKeyValidator({ bases: { openai: 'http://127.0.0.1:9/v1' }, timeoutMilliseconds: 2000 });
    expect(await offline('openai', new SecretValue(keys['openai-ok'] ?? ''), [])).toEqual({ status: 'unknown', detail: 'network error' });
  });

  it('refuses a bad shape before any call, without the value in the message', () => {
    for (const [provider, value] of [['openai', 'not-a-key-at-all-0123456789'], ['anthropic', 'sk-proj-0123456789abcdefghijklmn'], ['openrouter', 'sk-or-v1-short'], ['openai', ' sk-proj-0123456789abcdefghijklmnop']] as const) {
      let caught: unknown;
      try {
        checkKeyShape(provider, new SecretValue(value));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as Error).message).not.toContain(value.trim());
    }
  });
});
