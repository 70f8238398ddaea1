import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../core/types.js';
import { SecretValue } from '../core/secret-value.js';
import { AUDIT_GENESIS_HASH, type AuditDraft } from '../store/store.js';
import { canonicalJson, hashAuditEvent, verifyAuditChain } from './audit-chain.js';

function chain(count: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = AUDIT_GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const draft: AuditDraft = {
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
      event: 'credential-show',
      actor: 'cli:test',
      credential: 'openai/a/prod',
      fingerprint: null,
      outcome: 'ok',
      detail: { seq },
    };
    const hash = hashAuditEvent(draft, seq, prevHash);
    events.push({ ...draft, seq, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, writes dates as ISO, and drops what JSON drops', () => {
    const value = { b: 1, a: { d: [3, undefined, Number.NaN], c: new Date('2026-01-02T03:04:05.006Z') }, skip: undefined };
    expect(canonicalJson(value)).toBe('{"a":{"c":"2026-01-02T03:04:05.006Z","d":[3,null,null]},"b":1}');
  });

  it('gives the same text after a JSON round trip, whatever the key order', () => {
    const value = { z: 'x', y: [{ q: 1, p: 2 }], when: new Date(0), secret: new SecretValue('sk-proj-abcdefghijklmnop1234') };
    const text = canonicalJson(value);
    const reordered = Object.fromEntries(Object.entries(JSON.parse(text) as object).reverse());
    expect(canonicalJson(reordered)).toBe(text);
    expect(text).not.toContain('abcdefghijklmnop');
  });

  it('refuses a bigint', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('verifyAuditChain', () => {
  it('accepts an intact chain and an empty one', () => {
    expect(verifyAuditChain(chain(5))).toEqual({ ok: true, count: 5 });
    expect(verifyAuditChain([])).toEqual({ ok: true, count: 0 });
  });

  it('hashes every field, the seq and the previous hash', () => {
    const [event] = chain(1) as [AuditEvent];
    const base = hashAuditEvent(event, 1, AUDIT_GENESIS_HASH);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    const variants: AuditDraft[] = [
      { ...event, at: new Date(event.at.getTime() + 1) },
      { ...event, event: 'credential-add' },
      { ...event, actor: 'someone' },
      { ...event, credential: null },
      { ...event, fingerprint: 'f' },
      { ...event, outcome: 'error' },
      { ...event, detail: { seq: 2 } },
    ];
    for (const variant of variants) expect(hashAuditEvent(variant, 1, AUDIT_GENESIS_HASH)).not.toBe(base);
    expect(hashAuditEvent(event, 2, AUDIT_GENESIS_HASH)).not.toBe(base);
    expect(hashAuditEvent(event, 1, 'f'.repeat(64))).not.toBe(base);
  });

  it('names a modified event', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, detail: { seq: 99 } };
    expect(verifyAuditChain(events)).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/modified/) });
  });

  it('names a deleted event, including the first', () => {
    const events = chain(5);
    expect(verifyAuditChain([...events.slice(0, 2), ...events.slice(3)])).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/missing/) });
    expect(verifyAuditChain(events.slice(1))).toMatchObject({ ok: false, seq: 1 });
  });

  it('names an inserted event even when its seq continues the sequence', () => {
    const events = chain(3);
    const forged: AuditEvent = { ...events[1]!, seq: 2, detail: { seq: 'forged' }, hash: 'f'.repeat(64) };
    const renumbered = [events[0]!, forged, ...events.slice(1).map((event) => ({ ...event, seq: event.seq + 1 }))];
    expect(verifyAuditChain(renumbered)).toMatchObject({ ok: false, seq: 2 });
  });

  it('names the first of two reordered events', () => {
    const events = chain(5);
    const swapped = [events[0]!, { ...events[3]!, seq: 2 }, events[2]!, { ...events[1]!, seq: 4 }, events[4]!];
    expect(verifyAuditChain(swapped)).toMatchObject({ ok: false, seq: 2 });
    expect(verifyAuditChain([events[0]!, events[2]!, events[1]!])).toMatchObject({ ok: false, seq: 2 });
  });

  it('names a duplicated seq', () => {
    const events = chain(3);
    expect(verifyAuditChain([events[0]!, events[1]!, events[1]!, events[2]!])).toMatchObject({ ok: false, seq: 2, reason: expect.stringMatching(/duplicated/) });
  });
});
