/**
 * `rekey mfa` through the real binary: enrol (URI on stdout for the person), confirm with a
 * first code from stdin (recovery codes printed once), verify, a replayed code refused
 * with exit 2; neither the secret nor a recovery code reaches the database file or the
 * audit log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/team/totp.js';
import { runRekey, temporaryHome } from '../helpers/cli-runner.js';

describe('rekey mfa (local mode)', () => {
  let env: Record<string, string>;
  const rekey = (args: string[], input?: string) => runRekey(args, { env, input, timeoutMs: 60_000 });
  beforeAll(async () => {
    env = { REKEY_HOME: temporaryHome() };
    expect((await rekey(['init'])).code).toBe(0);
    expect((await rekey(['user', 'add', 'alice', '--no-password'])).code).toBe(0);
  });

  it('enrols, confirms, verifies once, and keeps secrets off disk and out of the audit log', async () => {
    const enroll = await rekey(['mfa', 'enroll', 'alice', '--json']);
    expect(enroll.code, enroll.stderr).toBe(0);
    const { secret, uri } = JSON.parse(enroll.stdout) as { secret: string; uri: string };
    expect(new URL(uri).searchParams.get('secret')).toBe(secret);
    const confirm = await rekey(['mfa', 'confirm', 'alice', '--code-stdin', '--json'], `${totpCode(secret, new Date())}\n`);
    expect(confirm.code, confirm.stderr).toBe(0);
    const { recoveryCodes } = JSON.parse(confirm.stdout) as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    const recovery = await rekey(['mfa', 'verify', 'alice', '--code-stdin'], `${recoveryCodes[0]}\n`);
    expect(recovery.code, recovery.stderr).toBe(0);
    expect(recovery.stdout).toContain('verified alice (recovery-code)');
    const replay = await rekey(['mfa', 'verify', 'alice', '--code-stdin'], `${recoveryCodes[0]}\n`);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain('neither a current TOTP code nor an unused recovery code');
    const status = await rekey(['mfa', 'status', 'alice']);
    expect(status.stdout).toContain('alice: TOTP confirmed, 9 recovery code(s) left');
    const audit = await rekey(['audit', 'list', '--json']);
    const database = readFileSync(join(env.REKEY_HOME ?? '', 'rekey.db')).toString('latin1');
    for (const planted of [secret, ...recoveryCodes]) {
      expect(audit.stdout).not.toContain(planted);
      expect(database).not.toContain(planted);
    }
    expect(audit.stdout).toContain('mfa-verify');
  });
});
