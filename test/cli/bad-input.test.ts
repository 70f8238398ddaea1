/**
 * Bad input through the real binary: each case gets a clear message and exit code, and
 * leaves the stored data exactly as it was (compared by a digest of the data directory
 * and of the rows).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { runRekey, temporaryHome } from '../helpers/cli-runner.js';

const VALUE = 'sk-proj-PLANTEDbadinput0Zx9Yw8Xv7Uu6Tt5Ss4Rr3T3BlbkFJQq2Pp1Oo0Nn9Mm8';
const NAME = 'openai/billing/prod';

function digest(home: string): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(home).sort()) {
    if (file.endsWith('-shm')) continue;
    hash.update(file).update(readFileSync(join(home, file)));
  }
  return hash.digest('hex');
}

function checkpoint(home: string): void {
  const database = new Database(join(home, 'rekey.db'));
  database.pragma('wal_checkpoint(TRUNCATE)');
  database.close();
}

describe('bad input is refused clearly and changes nothing [sqlite]', () => {
  let home: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    home = temporaryHome();
    env = { REKEY_HOME: home };
    expect((await runRekey(['init'], { env })).code).toBe(0);
    const add = await runRekey(['credential', 'add', NAME, '--provider', 'openai', '--scope', 'project=proj_badinput', '--read-value'], { env, input: VALUE });
    expect(add.code, add.stderr).toBe(0);
    checkpoint(home);
  });

  it('a wrong master key', async () => {
    const before = digest(home);
    const result = await runRekey(['credential', 'reveal', NAME, '--yes'], { env: { ...env, REKEY_MASTER_KEY: randomBytes(32).toString('base64') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/wrong master key/);
    expect(result.stdout).toBe('');
    checkpoint(home);
    expect(digest(home)).toBe(before);
  });

  it('a master key that is not a 32-byte base64 value', async () => {
    const result = await runRekey(['credential', 'list'], { env: { ...env, REKEY_MASTER_KEY: 'not-a-key' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/REKEY_MASTER_KEY is not a base64-encoded 32-byte key/);
  });

  it('a master key file others can read', async () => {
    chmodSync(join(home, 'master.key'), 0o644);
    const result = await runRekey(['credential', 'list'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/its mode is 0644, wider than 0600/);
    expect(result.stderr).toMatch(/chmod 600/);
  });

  it('corrupt and truncated ciphertext', async () => {
    const database = new Database(join(home, 'rekey.db'));
    const row = database.prepare('SELECT ciphertext FROM versions').get() as { ciphertext: Buffer };
    const flipped = Buffer.from(row.ciphertext);
    flipped[15] = (flipped[15] ?? 0) ^ 0x01;
    database.prepare('UPDATE versions SET ciphertext = ?').run(flipped);
    database.close();
    const corrupt = await runRekey(['credential', 'reveal', NAME, '--yes'], { env });
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/does not open: it is corrupt, truncated or was moved/);
    expect(corrupt.stdout).toBe('');

    const truncated = new Database(join(home, 'rekey.db'));
    truncated.prepare('UPDATE versions SET ciphertext = ?').run(row.ciphertext.subarray(0, 20));
    truncated.close();
    const short = await runRekey(['credential', 'reveal', NAME, '--yes'], { env });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/does not open/);
    const doctor = await runRekey(['doctor'], { env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ live versions decrypt\s+cannot open: openai\/billing\/prod v1/);
  });

  it('a corrupt database file', async () => {
    const path = join(home, 'rekey.db');
    writeFileSync(path, Buffer.concat([Buffer.from('this is not a database'), randomBytes(4096)]), { mode: 0o600 });
    rmSync(`${path}-wal`, { force: true });
    const before = digest(home);
    const result = await runRekey(['credential', 'list'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(path);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(digest(home)).toBe(before);
  });

  it('an unknown credential and invalid names', async () => {
    const unknown = await runRekey(['credential', 'show', 'openai/nothing/prod'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no credential named openai\/nothing\/prod/);
    for (const name of ['Bad Name', 'single', '/leading/slash', 'a/b/c/d/e/f', 'openai/UPPER/prod']) {
      const invalid = await runRekey(['credential', 'add', name, '--provider', 'openai'], { env });
      expect(invalid.code, name).toBe(2);
      expect(invalid.stderr).toMatch(/invalid credential name/);
      expect(invalid.stderr).toMatch(/hint: names look like/);
    }
    const provider = await runRekey(['credential', 'add', 'x/y/prod', '--provider', 'nope'], { env });
    expect(provider.code).toBe(2);
    expect(provider.stderr).toMatch(/unknown provider "nope"/);
    const keyAsId = await runRekey(['credential', 'set-value', NAME, '--provider-key-id', 'sk-proj-oops0123456789'], { env, input: 'sk-proj-another0123456789abcdef' });
    expect(keyAsId.code).toBe(2);
    expect(keyAsId.stderr).toMatch(/takes the key's id, not the key itself/);
    expect(keyAsId.stderr).not.toContain('oops0123456789');
    const list = await runRekey(['credential', 'list', '--json'], { env });
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(1);
  });

  it('usage errors are one line plus a hint, without a stack trace', async () => {
    const result = await runRekey(['credential', 'promote'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
    expect(result.stderr).toMatch(/hint: run `rekey credential promote --help`/);
    const unknown = await runRekey(['credentail'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Did you mean credential/);
  });

  it('a value on stdin that is empty or spans lines', async () => {
    const empty = await runRekey(['credential', 'set-value', NAME], { env, input: '\n' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no value on stdin/);
    const lines = await runRekey(['credential', 'set-value', NAME], { env, input: 'sk-one\nsk-two\n' });
    expect(lines.code).toBe(2);
    expect(lines.stderr).toMatch(/spans several lines/);
    expect(lines.stderr).not.toContain('sk-one');
  });

  it('a read-only data directory', async () => {
    const isRoot = process.getuid?.() === 0;
    const before = digest(home);
    let mounted = false;
    if (isRoot) {
      // Root ignores file modes; a read-only mount is the honest test.
      const copy = `${home}-copy`;
      cpSync(home, copy, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', home]);
      mounted = true;
      cpSync(copy, home, { recursive: true });
      execFileSync('mount', ['-o', 'remount,ro', home]);
    } else {
      chmodSync(join(home, 'rekey.db'), 0o400);
      chmodSync(home, 0o500);
    }
    try {
      const result = await runRekey(['credential', 'set-value', NAME], { env, input: 'sk-proj-another-value-0123456789abcdef' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/read-only|readonly|permission|EACCES|EROFS/i);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(digest(home)).toBe(before);
    } finally {
      if (mounted) execFileSync('umount', [home]);
      else chmodSync(home, 0o700);
    }
  });
});
