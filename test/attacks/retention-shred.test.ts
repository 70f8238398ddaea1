/**
 * Attack (issue #17, item 7): old versions never expired — `credential reveal --version 2`
 * printed a discarded key long after it was replaced, so whoever got the master key and a
 * copy of the database later got every key the credential ever had. Now revoked and
 * discarded versions have their data key (and ciphertext) destroyed once the retention
 * period has passed (default 30 days, `rekey retention set`, 0 = at once), keeping number,
 * stage, fingerprint and dates. The test runs the binary on SQLite: the discard is
 * back-dated 31 days in the database (time passing), `rotate --due` shreds it, reveal says
 * so, and the version's wrapped data key and ciphertext are searched for in the database
 * file and its WAL and not found.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRekey, temporaryHome, type CliResult } from '../helpers/cli-runner.js';

const NAME = 'manual/retention/prod';
const FIRST = `sk-ret-first-${randomBytes(16).toString('hex')}`;
const SECOND = `sk-ret-second-${randomBytes(16).toString('hex')}`;
const THIRD = `sk-ret-third-${randomBytes(16).toString('hex')}`;

describe('attack: revealing a discarded version long after it was replaced', () => {
  let home: string;
  const env = (): Record<string, string> => ({ REKEY_HOME: home });
  const rekey = async (args: string[], input?: string): Promise<CliResult> => runRekey(args, { env: env(), ...(input === undefined ? {} : { input }) });
  const ok = async (args: string[], input?: string): Promise<CliResult> => {
    const result = await rekey(args, input);
    expect(result.code, `rekey ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };
  const database = (): Database.Database => new Database(join(home, 'rekey.db'));
  const sealedOf = (number: number): { ciphertext: Buffer; wrapped: Buffer } => {
    const db = database();
    try {
      const row = db.prepare('SELECT ciphertext, wrapped_key FROM versions WHERE number = ?').get(number) as { ciphertext: Buffer; wrapped_key: Buffer };
      return { ciphertext: Buffer.from(row.ciphertext), wrapped: Buffer.from(row.wrapped_key) };
    } finally {
      db.close();
    }
  };
  const databaseBytes = (): Buffer[] =>
    ['rekey.db', 'rekey.db-wal', 'rekey.db-shm'].map((file) => join(home, file)).filter((path) => existsSync(path)).map((path) => readFileSync(path));

  beforeAll(async () => {
    home = temporaryHome('rekey-retention-');
    await ok(['init']);
    await ok(['credential', 'add', NAME, '--provider', 'manual', '--read-value'], `${FIRST}\n`);
    await ok(['credential', 'set-value', NAME], `${SECOND}\n`);
    await ok(['credential', 'promote', NAME]);
    // v2 was a mistake: roll back, so v2 is discarded and v1 is current again.
    await ok(['credential', 'rollback', NAME]);
  });
  afterAll(() => rm(dirname(home), { recursive: true, force: true }));

  it('within the retention period the discarded version still opens; after it, it is shredded and its data key is gone from the database', async () => {
    const versions = JSON.parse((await ok(['credential', 'versions', NAME, '--json'])).stdout) as Array<{ number: number; stage: string }>;
    expect(versions.map((version) => [version.number, version.stage])).toEqual([[1, 'current'], [2, 'discarded']]);
    expect((await ok(['credential', 'reveal', NAME, '--version', '2', '--yes'])).stdout).toContain(SECOND);
    expect((await ok(['retention', 'show'])).stdout).toMatch(/shredded after 30d0h \(default\)/);
    expect((await ok(['retention', 'apply'])).stdout).toMatch(/nothing to shred/);

    const before = sealedOf(2);
    expect(before.wrapped.length).toBeGreaterThan(16);
    expect(databaseBytes().some((bytes) => bytes.includes(before.wrapped))).toBe(true);

    // Thirty-one days pass.
    const db = database();
    db.prepare('UPDATE versions SET stage_changed_at = ? WHERE number = 2').run(new Date(Date.now() - 31 * 86_400_000).toISOString());
    db.close();

    const due = await ok(['rotate', '--due']);
    expect(due.stdout).toMatch(new RegExp(`shredded ${NAME} v2 \\(discarded since`));

    const reveal = await rekey(['credential', 'reveal', NAME, '--version', '2', '--yes']);
    expect(reveal.code).toBe(1);
    expect(reveal.stdout).not.toContain(SECOND);
    expect(reveal.stderr).toMatch(/version 2 of manual\/retention\/prod was shredded on .* by the retention policy: its data key is destroyed and the value cannot be recovered/);
    // The live version is untouched.
    expect((await ok(['credential', 'reveal', NAME, '--version', '1', '--yes'])).stdout).toContain(FIRST);

    const after = JSON.parse((await ok(['credential', 'versions', NAME, '--json'])).stdout) as Array<{ number: number; stage: string; fingerprint: string; shreddedAt: string | null }>;
    expect(after[1]).toMatchObject({ number: 2, stage: 'discarded', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), shreddedAt: expect.any(String) });
    expect(after[0]?.shreddedAt).toBeNull();

    const shredded = sealedOf(2);
    expect([shredded.wrapped.length, shredded.ciphertext.length]).toEqual([0, 0]);
    for (const bytes of databaseBytes()) {
      expect(bytes.includes(before.wrapped), 'the wrapped data key is still in the database files').toBe(false);
      expect(bytes.includes(before.ciphertext), 'the ciphertext is still in the database files').toBe(false);
    }

    const audit = JSON.parse((await ok(['audit', 'list', '--json'])).stdout) as Array<{ event: string; credential: string | null; detail: Record<string, unknown> }>;
    expect(audit.filter((event) => event.event === 'version-shred')).toEqual([
      expect.objectContaining({ credential: NAME, detail: expect.objectContaining({ version: 2, stage: 'discarded', shredAfterSeconds: 30 * 86_400 }) }),
    ]);
    expect((await ok(['audit', 'verify'])).code).toBe(0);
  });

  it('retention 0 shreds at once on the explicit command; a dry run only lists', async () => {
    await ok(['retention', 'set', '0']);
    await ok(['credential', 'set-value', NAME], `${THIRD}\n`);
    await ok(['credential', 'promote', NAME]);
    await ok(['credential', 'rollback', NAME]);
    expect((await ok(['retention', 'apply', '--dry-run'])).stdout).toMatch(new RegExp(`would shred ${NAME} v3`));
    expect((await ok(['credential', 'reveal', NAME, '--version', '3', '--yes'])).stdout).toContain(THIRD);
    const applied = JSON.parse((await ok(['retention', 'apply', '--json'])).stdout) as { shredAfterSeconds: number; items: Array<{ version: number; shredded: boolean }> };
    expect(applied).toMatchObject({ shredAfterSeconds: 0, items: [{ version: 3, shredded: true }] });
    expect((await rekey(['credential', 'reveal', NAME, '--version', '3', '--yes'])).stderr).toMatch(/was shredded/);
    expect((await rekey(['retention', 'set', 'soon'])).stderr).toMatch(/"soon" is not a duration/);
  });
});
