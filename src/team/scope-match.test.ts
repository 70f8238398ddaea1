import { describe, expect, it } from 'vitest';
import { describeScope, globMatches, isUnrestricted, scopeCovers } from './scope-match.js';

describe('globMatches', () => {
  it.each([
    ['openai/*/prod', 'openai/ticketing/prod', true],
    ['openai/*/prod', 'openai/a/b/prod', true],
    ['openai/*/prod', 'openai/ticketing/staging', false],
    ['*/staging', 'openai/ticketing/staging', true],
    ['*/staging', 'openai/ticketing/staging-2', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['**', 'anything/at/all', true],
    ['openai/ticketing/prod', 'openai/ticketing/prod', true],
    ['openai/ticketing/prod', 'openai/ticketing/prodx', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['.*', 'x', false],
  ])('%s vs %s → %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });
  it('answers a pathological pattern quickly (no backtracking blow-up)', () => {
    expect(globMatches('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
  });
});

describe('scopeCovers', () => {
  const target = { name: 'openai/ticketing/prod', environment: 'prod', provider: 'openai', ownerTeam: null };
  it('requires every given field and treats an absent owner team as no match', () => {
    expect(scopeCovers({}, target)).toBe(true);
    expect(scopeCovers({ environment: 'prod', provider: 'openai' }, target)).toBe(true);
    expect(scopeCovers({ environment: 'prod', provider: 'anthropic' }, target)).toBe(false);
    expect(scopeCovers({ ownerTeam: '*' }, target)).toBe(false);
    expect(isUnrestricted({})).toBe(true);
    expect(isUnrestricted({ environment: 'prod' })).toBe(false);
    expect(describeScope({})).toBe('everything');
    expect(describeScope({ credentials: '*/staging', provider: 'openai' })).toBe('credentials=*/staging,provider=openai');
  });
});
