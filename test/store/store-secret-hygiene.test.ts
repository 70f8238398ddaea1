/**
 * A planted key value goes through the store (sealed by the real envelope, promoted,
 * rewrapped, audited by fingerprint and hint) and must not appear in the raw SQLite
 * file, its WAL, or any PostgreSQL row — in plain text, hex or base64.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { newCredential, type StoreFixture, type StoreFixtureFactory } from '../contracts/store-fixture.js';
import { createPostgresFixture, createPostgresTestDatabase, postgresRequired, postgresSkipReason, postgresTestUrl, type PostgresTestDatabase } from './postgres-fixture.js';
import { createSqliteFixture } from './sqlite-fixture.js';

const PLANTED = ['sk-proj-PLANTEDzq7Xv2Lk9Wm4Rt8Yb3Nc6Hd1Jf5Gs0', 'sk-ant-api03-PLANTEDa1B2c3D4e5F6g7H8i9J0kLmNoPq'];

function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'), value.slice(8, 28)];
}

async function exercise(fixture: StoreFixture): Promise<void> {
  const { store } = fixture;
  await store.migrate();
  const clock = createManualClock();
  const envelope = createEnvelope(randomBytes(32));
  const salt = randomBytes(32);
  const audit = createAuditLog({ store, clock });
  const credential = await store.createCredential(newCredential('openai/hygiene/prod'));
  let expectedCurrent: number | null = null;
  for (const raw of PLANTED) {
    const value = new SecretValue(raw);
    const version = await store.addVersion({
      credentialId: credential.id,
      stage: 'pending',
      providerKeyId: 'key_hygiene',
      fingerprint: fingerprint(salt, raw),
      hint: value.hint,
      mintedBy: 'cli:test',
      seal: (number) => envelope.seal(value, { credentialId: credential.id, version: number }),
    });
    await store.promote(credential.id, version.number, { expectedCurrent, existingPrevious: 'revoked' });
    expectedCurrent = version.number;
    await audit.record({ event: 'version-promote', actor: 'cli:test', credential: credential.name, fingerprint: version.fingerprint, outcome: 'ok', detail: { hint: value.hint, version: version.number } });
    const opened = envelope.open(version.sealed, { credentialId: credential.id, version: version.number });
    expect(opened.reveal()).toBe(raw);
  }
  const rewrapped = createEnvelope(randomBytes(32));
  const sealed = await store.listSealed();
  await store.rewrap(sealed.map((item) => ({ credentialId: item.credentialId, number: item.number, ...rewrapped.rewrap(item.sealed, { credentialId: item.credentialId, version: item.number }, envelope) })));
}

function expectClean(text: string): void {
  for (const planted of PLANTED) {
    for (const encoded of encodings(planted)) expect(text.includes(encoded), `found ${encoded.slice(0, 12)}…`).toBe(false);
  }
}

describe('no key value at rest [sqlite]', () => {
  it('leaves no planted value in the database file or its WAL', async () => {
    const fixture = await createSqliteFixture({ now: () => new Date() });
    try {
      await exercise(fixture);
      const files = [fixture.location, `${fixture.location}-wal`].filter((file) => existsSync(file));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expectClean(readFileSync(file).toString('latin1'));
    } finally {
      await fixture.dispose();
    }
  });
});

const postgresDescribe = postgresTestUrl === undefined ? describe.skip : describe;
describe('no key value at rest [postgres]', () => {
  let database: PostgresTestDatabase;
  let createFixture: StoreFixtureFactory;
  beforeAll(async () => {
    if (postgresTestUrl === undefined) return;
    database = await createPostgresTestDatabase();
    createFixture = (options) => createPostgresFixture(database, options);
  });
  afterAll(async () => {
    await database?.drop();
  });
  if (postgresTestUrl === undefined && postgresRequired) {
    it('needs PostgreSQL', () => {
      throw new Error('REKEY_REQUIRE_POSTGRES=1 but REKEY_TEST_DATABASE_URL is not set');
    });
  }
  postgresDescribe(postgresTestUrl === undefined ? postgresSkipReason : 'with PostgreSQL', () => {
    it('leaves no planted value in any row of any table', async () => {
      const fixture = await createFixture({ now: () => new Date() });
      try {
        await exercise(fixture);
        const listed = await fixture.sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
        const tables = listed.map((row) => String(row.table_name));
        expect(tables).toEqual(expect.arrayContaining(['credentials', 'versions', 'audit_events', 'rotations', 'rotation_journal', 'settings']));
        let dump = '';
        for (const table of tables) {
          const rows = await fixture.sql(`SELECT t::text AS row FROM ${table} t`);
          dump += rows.map((row) => String(row.row)).join('\n');
        }
        expect(dump).toContain('version-promote');
        expectClean(dump);
      } finally {
        await fixture.dispose();
      }
    });
  });
});
