import { describe, expect, it } from 'vitest';
import { createSeededRandom, generateKeyValue, hashKeyValue, maskForAuthError, redactAnthropic, redactOpenAI, redactOpenRouter } from './emulator-random.js';

describe('emulator randomness', () => {
  it('generates key values in the real formats and lengths', () => {
    expect(generateKeyValue('openai-project')).toMatch(/^sk-proj-[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}$/);
    expect(generateKeyValue('openai-service-account')).toMatch(/^sk-svcacct-[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}$/);
    expect(generateKeyValue('openai-admin')).toMatch(/^sk-admin-[A-Za-z0-9_-]{58}T3BlbkFJ[A-Za-z0-9_-]{58}$/);
    expect(generateKeyValue('anthropic-api')).toMatch(/^sk-ant-api03-[A-Za-z0-9_-]{93}AA$/);
    expect(generateKeyValue('anthropic-admin')).toMatch(/^sk-ant-admin01-[A-Za-z0-9_-]{93}AA$/);
    expect(generateKeyValue('openrouter')).toMatch(/^sk-or-v1-[0-9a-f]{64}$/);
    expect(generateKeyValue('openai-project').length).toBe(164);
  });

  it('never repeats a key value (values come from the CSPRNG, not the seed)', () => {
    const values = new Set(Array.from({ length: 200 }, () => generateKeyValue('openrouter')));
    expect(values.size).toBe(200);
  });

  it('the seeded PRNG is reproducible and seed-dependent', () => {
    const draw = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const resumed = createSeededRandom(createSeededRandom(1).state());
    expect(resumed.next()).toBe(createSeededRandom(1).next());
  });

  it('redacted forms keep only the prefix and a short tail', () => {
    const openai = generateKeyValue('openai-project');
    expect(redactOpenAI(openai)).toBe(`sk-proj-...${openai.slice(-4)}`);
    const anthropic = generateKeyValue('anthropic-api');
    expect(redactAnthropic(anthropic)).toBe(`${anthropic.slice(0, 16)}...${anthropic.slice(-4)}`);
    const openrouter = generateKeyValue('openrouter');
    expect(redactOpenRouter(openrouter)).toBe(`${openrouter.slice(0, 12)}...${openrouter.slice(-4)}`);
    expect(hashKeyValue(openai)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('masks keys in auth errors like the real API, and short values completely', () => {
    const value = generateKeyValue('openai-project');
    const masked = maskForAuthError(value);
    expect(masked).toBe(`sk-proj-${'*'.repeat(value.length - 12)}${value.slice(-4)}`);
    expect(maskForAuthError('CHANGE_ME')).toBe('*********');
  });
});
