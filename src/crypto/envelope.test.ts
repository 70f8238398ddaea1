import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoError, IntegrityError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import { createEnvelope } from './envelope.js';

const value = new SecretValue('sk-proj-PLANTEDenvelopeTEST0123456789T3BlbkFJabcdef');
const context = { credentialId: 'cred-1', version: 3 };

describe('envelope encryption', () => {
  it('seals and opens a value, and the ciphertext does not contain it', () => {
    const envelope = createEnvelope(randomBytes(32));
    const sealed = envelope.seal(value, context);
    expect(sealed.ciphertext.includes(Buffer.from(value.reveal()))).toBe(false);
    expect(sealed.wrappedKey.length).toBe(1 + 12 + 32 + 16);
    expect(envelope.open(sealed, context).reveal()).toBe(value.reveal());
  });

  it('uses a fresh data key and nonce for every seal', () => {
    const envelope = createEnvelope(randomBytes(32));
    const first = envelope.seal(value, context);
    const second = envelope.seal(value, context);
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    expect(first.wrappedKey.equals(second.wrappedKey)).toBe(false);
  });

  it('refuses a ciphertext moved to another credential or version (AAD binding)', () => {
    const envelope = createEnvelope(randomBytes(32));
    const sealed = envelope.seal(value, context);
    expect(() => envelope.open(sealed, { ...context, version: 4 })).toThrow(IntegrityError);
    expect(() => envelope.open(sealed, { ...context, credentialId: 'cred-2' })).toThrow(IntegrityError);
  });

  it('detects corrupt and truncated ciphertext without leaking the value', () => {
    const envelope = createEnvelope(randomBytes(32));
    const sealed = envelope.seal(value, context);
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[20] = (flipped[20] ?? 0) ^ 0xff;
    expect(() => envelope.open({ ...sealed, ciphertext: flipped }, context)).toThrow(/corrupt, truncated/);
    expect(() => envelope.open({ ...sealed, ciphertext: sealed.ciphertext.subarray(0, 10) }, context)).toThrow(IntegrityError);
    try {
      envelope.open({ ...sealed, ciphertext: flipped }, context);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(value.reveal());
    }
  });

  it('refuses a wrong master key with a clear error', () => {
    const sealed = createEnvelope(randomBytes(32)).seal(value, context);
    const other = createEnvelope(randomBytes(32));
    expect(() => other.open(sealed, context)).toThrow(CryptoError);
    expect(() => other.open({ ...sealed, masterKeyId: other.masterKeyId }, context)).toThrow(/does not open/);
  });

  it('re-wraps a data key under a new master key and leaves the value unchanged', () => {
    const oldEnvelope = createEnvelope(randomBytes(32));
    const newEnvelope = createEnvelope(randomBytes(32));
    const sealed = oldEnvelope.seal(value, context);
    const rewrapped = { ...sealed, ...newEnvelope.rewrap(sealed, context, oldEnvelope) };
    expect(rewrapped.ciphertext.equals(sealed.ciphertext)).toBe(true);
    expect(rewrapped.masterKeyId).toBe(newEnvelope.masterKeyId);
    expect(newEnvelope.open(rewrapped, context).reveal()).toBe(value.reveal());
    expect(() => oldEnvelope.open(rewrapped, context)).toThrow(CryptoError);
  });

  it('rejects a master key of the wrong length', () => {
    expect(() => createEnvelope(randomBytes(16))).toThrow(/32 bytes/);
  });
});
