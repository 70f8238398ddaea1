import { describe, expect, it } from 'vitest';
import { matchTotp, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, recoveryCodeHash, totpCode, totpUri } from './totp.js';

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" (base32 below); codes are the last six of the eight digits.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const at = (seconds: number) => new Date(seconds * 1000);

describe('TOTP', () => {
  it('matches the RFC 6238 test vectors', () => {
    expect(totpCode(RFC_SECRET, at(59))).toBe('287082');
    expect(totpCode(RFC_SECRET, at(1111111109))).toBe('081804');
    expect(totpCode(RFC_SECRET, at(1234567890))).toBe('005924');
    expect(totpCode(RFC_SECRET, at(2000000000))).toBe('279037');
  });

  it('accepts a code one step either side, refuses two steps off, and refuses a step already used', () => {
    const secret = newTotpSecret();
    const now = at(1_800_000_000);
    const step = Math.floor(1_800_000_000 / 30);
    expect(matchTotp(secret, totpCode(secret, now), now, null)).toBe(step);
    expect(matchTotp(secret, totpCode(secret, at(1_800_000_000 - 30)), now, null)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, at(1_800_000_000 + 30)), now, null)).toBe(step + 1);
    expect(matchTotp(secret, totpCode(secret, at(1_800_000_000 - 90)), now, null)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, now), now, step)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, at(1_800_000_000 - 30)), now, step)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now, null)).toBeNull();
  });

  it('builds an otpauth URI an authenticator app reads', () => {
    const uri = new URL(totpUri(RFC_SECRET, 'alice'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(RFC_SECRET);
    expect(uri.searchParams.get('issuer')).toBe('rekey');
    expect(decodeURIComponent(uri.pathname)).toContain('alice');
  });
});

describe('recovery codes', () => {
  it('are distinct, grouped, and hash the same however they are typed, differently per user', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const [first = ''] = codes;
    expect(recoveryCodeHash('usr_a', first)).toBe(recoveryCodeHash('usr_a', ` ${first.toUpperCase().replace(/-/g, ' ')} `));
    expect(recoveryCodeHash('usr_a', first)).not.toBe(recoveryCodeHash('usr_b', first));
    expect(normaliseRecoveryCode('too-short')).toBeNull();
    expect(() => recoveryCodeHash('usr_a', '0000-0000-0000-0000')).toThrow(/recovery code is 16/);
  });
});
