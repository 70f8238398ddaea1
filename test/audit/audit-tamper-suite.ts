/**
 * Audit log behaviour over a real store, including tampering done directly in SQL (as
 * someone with database access would): each kind of tampering must make `verify` name
 * the first bad event. Run for SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashAuditEvent } from '../../src/audit/audit-chain.js';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { RekeyError, UsageError } from '../../src/core/errors.js';
import type { StoreFixture, StoreFixtureFactory } from '../contracts/store-fixture.js';

const COLUMNS = ['at', 'event', 'actor', 'credential', 'fingerprint', 'outcome', 'detail', 'prev_hash', 'hash'] as const;

export function runAuditTamperSuite(label: string, createFixture: StoreFixtureFactory): void {
  describe(`audit log ${label}`, () => {
    let fixture: StoreFixture;
    let audit: AuditLog;
    const clock = createManualClock(new Date('2026-03-01T12:00:00Z'));

    beforeEach(async () => {
      fixture = await createFixture({ now: () => clock.now() });
      await fixture.store.migrate();
      audit = createAuditLog({ store: fixture.store, clock });
      for (let index = 1; index <= 5; index++) {
        clock.advance(1000);
        await audit.record({ event: 'credential-show', actor: 'cli:test', credential: 'openai/a/prod', fingerprint: null, outcome: 'ok', detail: { index, z: 1, a: { y: [1, 'two'] } } });
      }
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    const sql = (statement: string, params?: unknown[]) => fixture.sql(statement, params);

    async function disableGuards(): Promise<void> {
      if (fixture.store.dialect === 'sqlite') {
        await sql('DROP TRIGGER audit_events_no_update');
        await sql('DROP TRIGGER audit_events_no_delete');
      } else {
        await sql('ALTER TABLE audit_events DISABLE TRIGGER USER');
      }
    }

    function bindable(value: unknown): unknown {
      return value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
    }

    async function row(seq: number): Promise<Record<string, unknown>> {
      const rows = await sql('SELECT * FROM audit_events WHERE seq = ?', [seq]);
      return rows[0]!;
    }

    async function overwrite(seq: number, content: Record<string, unknown>): Promise<void> {
      await sql(`UPDATE audit_events SET ${COLUMNS.map((column) => `${column} = ?`).join(', ')} WHERE seq = ?`, [...COLUMNS.map((column) => bindable(content[column])), seq]);
    }

    it('records named events with a stored time, lists, verifies and exports', async () => {
      const events = await audit.list();
      expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(events[4]?.at).toEqual(clock.now());
      expect(events[0]?.detail).toEqual({ index: 1, z: 1, a: { y: [1, 'two'] } });
      expect(await audit.verify()).toEqual({ ok: true, count: 5 });
      expect(await audit.list({ afterSeq: 3 })).toHaveLength(2);
      const csv = await audit.export('csv');
      expect(csv.split('\r\n')).toHaveLength(7);
      expect(JSON.parse(await audit.export('json'))).toHaveLength(5);
    });

    it('refuses a badly named event and a detail holding a key value, writing nothing', async () => {
      const base = { actor: 'cli:test', credential: null, fingerprint: null, outcome: 'ok' as const };
      await expect(audit.record({ ...base, event: 'Promote', detail: {} })).rejects.toBeInstanceOf(UsageError);
      await expect(audit.record({ ...base, event: 'credential-set-value', detail: { value: 'sk-proj-AAAAbbbbCCCC1111dddd2222' } })).rejects.toBeInstanceOf(RekeyError);
      expect(await audit.list()).toHaveLength(5);
    });

    it('re-verifies after a detail with dates and odd numbers survives the database round trip', async () => {
      await audit.record({ event: 'rotation-start', actor: 'worker', credential: null, fingerprint: null, outcome: 'error', detail: { when: new Date('2026-01-01T00:00:00Z'), ratio: 0.1, big: 1e21, missing: undefined, text: 'é "quoted" \u2028' } });
      expect(await audit.verify()).toEqual({ ok: true, count: 6 });
    });

    it('names a row whose detail was modified', async () => {
      await disableGuards();
      await sql('UPDATE audit_events SET detail = ? WHERE seq = 3', [JSON.stringify({ index: 99, z: 1, a: { y: [1, 'two'] } })]);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/modified/) });
    });

    it('names a deleted row', async () => {
      await disableGuards();
      await sql('DELETE FROM audit_events WHERE seq = 3');
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/missing/) });
    });

    it('names the first missing row when the tail was cut off', async () => {
      await disableGuards();
      await sql('DELETE FROM audit_events WHERE seq >= 4');
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/4 to 5 are missing/) });
    });

    it('names the last row when it was rewritten with a correctly recomputed hash', async () => {
      await disableGuards();
      const [last] = await audit.list({ afterSeq: 4 });
      const forged = { ...last!, detail: { index: 'forged' } };
      await sql('UPDATE audit_events SET detail = ?, hash = ? WHERE seq = 5', [JSON.stringify(forged.detail), hashAuditEvent(forged, 5, forged.prevHash)]);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 5, reason: expect.stringMatching(/differs from the one recorded/) });
    });

    it('names a forged row inserted in the middle', async () => {
      await disableGuards();
      await sql('UPDATE audit_events SET seq = seq + 100 WHERE seq >= 3');
      await sql('UPDATE audit_events SET seq = seq - 99 WHERE seq >= 103');
      const previous = await row(2);
      await sql(`INSERT INTO audit_events (seq, ${COLUMNS.join(', ')}) VALUES (3, ${COLUMNS.map(() => '?').join(', ')})`, [
        ...COLUMNS.map((column) => bindable(previous[column])).slice(0, 7),
        previous.hash,
        'f'.repeat(64),
      ]);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 3 });
    });

    it('names the first of two rows whose content was swapped', async () => {
      await disableGuards();
      const second = await row(2);
      const fourth = await row(4);
      await overwrite(2, fourth);
      await overwrite(4, second);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 2 });
    });

    it('names the first of two reordered rows', async () => {
      await disableGuards();
      await sql('UPDATE audit_events SET seq = 1000 WHERE seq = 3');
      await sql('UPDATE audit_events SET seq = 3 WHERE seq = 4');
      await sql('UPDATE audit_events SET seq = 4 WHERE seq = 1000');
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 3 });
    });
  });
}
