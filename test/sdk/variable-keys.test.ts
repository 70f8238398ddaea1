import { describe, expect, it } from 'vitest';
import { keysFromVariables, parseDotenv } from '../../src/sdk/variable-keys.js';

const summary = (keys: ReturnType<typeof keysFromVariables>) => keys.map((key) => [key.version, key.stage, key.value.reveal()]);

describe('keys from variables', () => {
  it('reads the main name as current and the other versioned slot as previous', () => {
    const values = new Map([['OPENAI_API_KEY', 'sk-new'], ['OPENAI_API_KEY_V3', 'sk-new'], ['OPENAI_API_KEY_V2', 'sk-old'], ['OTHER', 'x']]);
    expect(summary(keysFromVariables('OPENAI_API_KEY', (name) => values.get(name), [...values.keys()]))).toEqual([
      [3, 'current', 'sk-new'],
      [2, 'previous', 'sk-old'],
    ]);
  });

  it('gives a version-less current key for a bare variable, and the newest slot when the main name is missing', () => {
    expect(summary(keysFromVariables('KEY', (name) => (name === 'KEY' ? 'sk-a' : undefined), ['KEY']))).toEqual([[null, 'current', 'sk-a']]);
    const values = new Map([['KEY_V1', 'sk-one'], ['KEY_V2', 'sk-two']]);
    expect(summary(keysFromVariables('KEY', (name) => values.get(name), [...values.keys()]))).toEqual([
      [2, 'current', 'sk-two'],
      [1, 'previous', 'sk-one'],
    ]);
    expect(keysFromVariables('KEY', () => undefined, [])).toEqual([]);
  });

  it('does not treat a longer name sharing the prefix as a slot', () => {
    const values = new Map([['KEY', 'sk-a'], ['KEY_V1X', 'sk-b'], ['KEYS_V2', 'sk-c']]);
    expect(summary(keysFromVariables('KEY', (name) => values.get(name), [...values.keys()]))).toEqual([[null, 'current', 'sk-a']]);
  });
});

describe('dotenv reader', () => {
  it('reads plain, exported, quoted and commented values', () => {
    const values = parseDotenv('# c\nexport A=1\nB = two # note\nC="x \\"y\\"\\n"\nD=\'lit\\n\'\nE="multi\nline"\n');
    expect(Object.fromEntries(values)).toEqual({ A: '1', B: 'two', C: 'x "y"\n', D: 'lit\\n', E: 'multi\nline' });
  });
});
