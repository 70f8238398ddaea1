import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, OWASP_SCRYPT, parsePasswordHash, verifyPassword } from './password-hash.js';

const fast = { logN: 10, r: 8, p: 1 };

describe('password hashes', () => {
  it('hash at the OWASP scrypt parameters by default (N=2^17, r=8, p=1) and verify', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$17\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(parsePasswordHash(stored)?.parameters).toEqual(OWASP_SCRYPT);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });
  it('salts every hash, never stores the password, and refuses short passwords with a clear message', async () => {
    const one = await hashPassword('a long enough password', fast);
    const two = await hashPassword('a long enough password', fast);
    expect(one).not.toBe(two);
    expect(one).not.toContain('long enough');
    await expect(hashPassword('short', fast)).rejects.toThrow('at least 12 characters (it has 5)');
    expect(needsRehash(one)).toBe(true);
  });
  it('never verifies against a missing or malformed stored hash', async () => {
    const stored = await hashPassword('a long enough password', fast);
    expect(await verifyPassword('a long enough password', null)).toBe(false);
    expect(await verifyPassword('a long enough password', stored.replace('scrypt$10', 'scrypt$40'))).toBe(false);
    expect(parsePasswordHash('plain')).toBeUndefined();
    expect(parsePasswordHash(stored.slice(0, -4))).toBeUndefined();
  });
});
