/**
 * `rekey user` and `rekey role` through the real binary on SQLite: accounts, groups,
 * disable / reset-mfa, custom roles, bindings; bad input gets a clear message and exit 2;
 * the password never appears in any output, the database or the audit log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRekey, temporaryHome, type CliResult } from '../helpers/cli-runner.js';

const PASSWORD = 'PLANTED-password-Zq8vX2mW';

describe('rekey user / rekey role (local mode)', () => {
  let env: Record<string, string>;
  const outputs: CliResult[] = [];
  const rekey = async (args: string[], input?: string) => {
    const result = await runRekey(args, { env, input, timeoutMs: 60_000 });
    outputs.push(result);
    return result;
  };
  beforeAll(async () => {
    env = { REKEY_HOME: temporaryHome() };
    expect((await rekey(['init'])).code).toBe(0);
  });
  afterAll(() => {
    for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(PASSWORD);
    expect(readFileSync(join(env.REKEY_HOME ?? '', 'rekey.db')).toString('latin1')).not.toContain(PASSWORD);
  });

  it('adds people with a password from stdin, lists them without secrets, and refuses duplicates and weak input', async () => {
    const add = await rekey(['user', 'add', 'alice', '--group', 'platform', '--password-stdin', '--json'], `${PASSWORD}\n`);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'alice', groups: ['platform'], status: 'active', mfa: 'none', password: true });
    expect((await rekey(['user', 'add', 'bob', '--no-password'])).code).toBe(0);
    const duplicate = await rekey(['user', 'add', 'alice', '--no-password']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('a user named alice already exists');
    const short = await rekey(['user', 'add', 'carol', '--password-stdin'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 12 characters');
    const badName = await rekey(['user', 'add', 'Bad Name', '--no-password']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('user name "Bad Name" must be');
    const list = await rekey(['user', 'list', '--json']);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((user) => user.name)).toEqual(['alice', 'bob']);
    expect(list.stdout).not.toContain('scrypt$');
  });

  it('binds built-in and custom roles on scopes, and refuses unknown capabilities and roles', async () => {
    const bind = await rekey(['role', 'bind', 'operator', '--user', 'alice', '--credentials', '*/staging', '--json']);
    expect(bind.code, bind.stderr).toBe(0);
    expect(JSON.parse(bind.stdout)).toMatchObject({ role: 'operator', subjectKind: 'user', subject: 'alice', scope: { credentials: '*/staging' } });
    const custom = await rekey(['role', 'add', 'revealer', '--capability', 'reveal', '--capability', 'read-metadata', '--require-mfa']);
    expect(custom.code, custom.stderr).toBe(0);
    expect((await rekey(['role', 'bind', 'revealer', '--group', 'platform', '--environment', 'staging'])).code).toBe(0);
    const unknown = await rekey(['role', 'add', 'broken', '--capability', 'sudo']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown capability "sudo"');
    const ghost = await rekey(['role', 'bind', 'ghost', '--user', 'alice']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('no role named ghost');
    expect((await rekey(['role', 'bind', 'viewer'])).stderr).toContain('exactly one of --user');
    const roles = JSON.parse((await rekey(['role', 'list', '--json'])).stdout) as Array<{ name: string; builtin: boolean; requireMfa: boolean }>;
    expect(roles.map((role) => role.name)).toEqual(['admin', 'auditor', 'operator', 'viewer', 'revealer']);
    const bindings = JSON.parse((await rekey(['role', 'bindings', '--json'])).stdout) as Array<{ id: string; role: string }>;
    expect(bindings.map((binding) => binding.role)).toEqual(['operator', 'revealer']);
    const busy = await rekey(['role', 'remove', 'revealer']);
    expect(busy.stderr).toContain('still bound');
    expect((await rekey(['role', 'unbind', bindings[1]?.id ?? ''])).code).toBe(0);
    expect((await rekey(['role', 'remove', 'revealer'])).code).toBe(0);
    expect((await rekey(['role', 'remove', 'admin'])).stderr).toContain('built in');
    expect((await rekey(['role', 'require-mfa', 'admin'])).stdout).toContain('role admin: MFA required');
  });

  it('disables, enables and resets MFA, and every change is in the audit log with who did it', async () => {
    expect((await rekey(['user', 'disable', 'bob'])).stdout).toContain('disabled user bob; 0 session(s) ended');
    expect((await rekey(['user', 'reset-mfa', 'alice'])).code).toBe(0);
    expect((await rekey(['user', 'enable', 'bob'])).code).toBe(0);
    expect((await rekey(['user', 'groups', 'bob', 'sre', 'platform'])).stdout).toContain('bob: platform, sre');
    const audit = await rekey(['audit', 'list', '--json']);
    const events = (JSON.parse(audit.stdout) as Array<{ event: string; actor: string }>).map((event) => event.event);
    expect(events).toEqual(expect.arrayContaining(['user-add', 'role-bind', 'role-save', 'role-unbind', 'role-remove', 'role-mfa', 'user-disable', 'user-reset-mfa', 'user-enable', 'user-groups']));
    expect((await rekey(['audit', 'verify'])).code).toBe(0);
  });
});
