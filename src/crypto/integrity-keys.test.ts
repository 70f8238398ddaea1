import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCheckpointSigner, createRowIntegrity, deriveKey, INFO_LABELS, isCheckpointPublicKey, verifyCheckpointSignature } from './integrity-keys.js';

describe('integrity keys', () => {
  const root = randomBytes(32);

  it('derives a distinct key per info label, the same one every time', () => {
    const keys = Object.values(INFO_LABELS).map((label) => deriveKey(root, label).toString('hex'));
    expect(new Set(keys).size).toBe(keys.length);
    expect(deriveKey(root, INFO_LABELS.rowMac).equals(deriveKey(Buffer.from(root), INFO_LABELS.rowMac))).toBe(true);
    expect(() => deriveKey(Buffer.alloc(16), INFO_LABELS.rowMac)).toThrow(/32 bytes/);
  });

  it('tags a row over its table and canonical fields; any change, another table or another key fails', () => {
    const rows = createRowIntegrity(deriveKey(root, INFO_LABELS.rowMac));
    const fields = { id: 't1', scope: ['a', 'b'], nested: { z: 1, a: 2 } };
    const tag = rows.tag('access_tokens', fields);
    expect(tag).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(rows.check('access_tokens', { nested: { a: 2, z: 1 }, scope: ['a', 'b'], id: 't1' }, tag)).toBe(true);
    expect(rows.check('access_tokens', { ...fields, scope: ['a', 'b', 'c'] }, tag)).toBe(false);
    expect(rows.check('consumers', fields, tag)).toBe(false);
    expect(rows.check('access_tokens', fields, null)).toBe(false);
    expect(rows.check('access_tokens', fields, tag.slice(0, -1))).toBe(false);
    expect(createRowIntegrity(randomBytes(32)).check('access_tokens', fields, tag)).toBe(false);
  });

  it('signs checkpoints with Ed25519; the printed public key verifies them and nothing else does', () => {
    const signer = createCheckpointSigner(deriveKey(root, INFO_LABELS.checkpoint));
    expect(isCheckpointPublicKey(signer.publicKey)).toBe(true);
    expect(createCheckpointSigner(deriveKey(root, INFO_LABELS.checkpoint)).publicKey).toBe(signer.publicKey);
    const payload = { seq: 12, hash: 'ab'.repeat(32) };
    const signature = signer.sign(payload);
    expect(verifyCheckpointSignature(signer.publicKey, payload, signature)).toBe(true);
    expect(verifyCheckpointSignature(signer.publicKey, { ...payload, seq: 13 }, signature)).toBe(false);
    expect(verifyCheckpointSignature(createCheckpointSigner(randomBytes(32)).publicKey, payload, signature)).toBe(false);
    expect(verifyCheckpointSignature('ed25519:nope', payload, signature)).toBe(false);
  });
});
