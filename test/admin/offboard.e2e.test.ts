/**
 * `rekey offboard` end to end against the emulator's organisation and a real rekey home.
 * Bob revealed one credential (openai/ticketing/prod), owns one provider key (the unmanaged
 * legacy-export), holds the admin role on openai/analytics/* and the viewer role (no reveal)
 * on openai/search/*, and created one token. His plan is exactly: rotate the revealed
 * credential and the scoped one, delete his key, revoke his token, remove him from both
 * organisations and disable his rekey account. It runs as one audited operation; a changed
 * plan is refused; `--rotate now` makes the old key dead at once.
 */
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type SeededOrganization } from '../../src/emulator/emulator.js';
import { runRekey, temporaryHome } from '../helpers/cli-runner.js';
import { everyFormat, rekeyInProcess as rekey, restoreEnv, setEnv, type Parsed } from '../helpers/in-process-cli.js';

let emulator: RunningEmulator;
let seeded: SeededOrganization;
let env: Record<string, string>;
const cliActor = `cli:${userInfo().username}`;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 5114 });
  seeded = emulator.seedOrganization({ days: 3 });
  env = {
    OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
    OPENAI_BASE_URL: emulator.openaiBaseUrl,
    ANTHROPIC_ADMIN_KEY: emulator.adminKeys.anthropic.reveal(),
    ANTHROPIC_BASE_URL: emulator.anthropicBaseUrl,
    REKEY_HOME: temporaryHome('rekey-offboard-'),
  };
  setEnv({ ...env, REKEY_DATABASE_URL: undefined, NO_COLOR: '1' });
  const cli = (args: string[], input?: string) => runRekey(args, { env, ...(input === undefined ? {} : { input }) });
  expect((await cli(['init'])).code).toBe(0);
  const register = async (name: string, key: string) => {
    const seededKey = seeded.openai.keys[key];
    const added = await cli(['credential', 'add', name, '--provider', 'openai', '--scope', `project=${seededKey?.projectId}`, '--provider-key-id', seededKey?.id ?? '', '--read-value', '--force'], `${seededKey?.value.reveal()}\n`);
    expect(added.code, added.stderr).toBe(0);
  };
  await register('openai/ticketing/prod', 'ticketing-prod');
  await register('openai/search/prod', 'search-prod');
  await register('openai/analytics/batch', 'analytics-batch');
  // Bob's team account and roles: admin (can reveal) on analytics, viewer (cannot) on search.
  expect((await cli(['user', 'add', 'bob@example.com', '--no-password'])).code).toBe(0);
  expect((await cli(['role', 'bind', 'admin', '--user', 'bob@example.com', '--credentials', 'openai/analytics/*'])).code).toBe(0);
  expect((await cli(['role', 'bind', 'viewer', '--user', 'bob@example.com', '--credentials', 'openai/search/*'])).code).toBe(0);
  // Bob, working at this terminal, revealed one credential and created one token.
  expect((await cli(['credential', 'reveal', 'openai/ticketing/prod', '--yes'])).code).toBe(0);
  expect((await cli(['token', 'create', 'bobs-notebook', '--kind', 'proxy', '--credential', 'openai/ticketing/prod'])).code).toBe(0);
}, 90_000);

afterAll(async () => {
  restoreEnv();
  await emulator.close();
});

const steps = (rows: Parsed) => rows.map((row) => `${String(row['action'])} ${String(row['provider'])} ${String(row['target'])}`);

describe('rekey offboard', () => {
  it('plans exactly the revealed credential, the owned key and the scoped credentials, then the token and the accounts', async () => {
    const rows = await everyFormat('offboard', 'bob@example.com', '--actor', cliActor);
    expect(steps(rows)).toEqual([
      'rotate openai openai/analytics/batch',
      'rotate openai openai/ticketing/prod',
      `delete-key openai ${seeded.openai.keys['legacy-export']?.id}`,
      'revoke-token null bobs-notebook',
      `remove-member anthropic ${seeded.anthropic.users['bob']?.id}`,
      `remove-member openai ${seeded.openai.users['bob']?.id}`,
      'disable-user rekey bob@example.com',
    ]);
    expect(rows[0]?.['reasons']).toBe('in the scope of role admin');
    expect(rows[1]?.['reasons']).toMatch(/^revealed its value \(audit event \d+\)$/);
    expect(rows[2]?.['reasons']).toBe('owns unmanaged key legacy-export');
    // Without the terminal's actor name the reveal is not his: only the scope and what he owns remain.
    expect(steps(await everyFormat('offboard', seeded.openai.users['bob']?.id ?? ''))).not.toContain('rotate openai openai/ticketing/prod');
  });

  it('bad input: nobody by that name, --execute without or with a stale plan id, a bad --rotate', async () => {
    expect((await rekey('offboard', 'nobody@example.com')).stderr).toMatch(/nobody called nobody@example.com at openai or anthropic or in rekey/);
    expect((await rekey('offboard', 'bob@example.com', '--execute')).stderr).toMatch(/--execute needs --plan <id>/);
    const stale = await rekey('offboard', 'bob@example.com', '--actor', cliActor, '--execute', '--plan', '000000000000', '--yes');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/the plan changed since review/);
    expect((await rekey('offboard', 'bob@example.com', '--rotate', 'later')).stderr).toMatch(/--rotate must be now or next-window/);
    expect(emulator.isKeyLive(seeded.openai.keys['legacy-export']?.value.reveal() ?? '')).toBe(true);
  });

  it('--execute --rotate next-window: one audited operation; rotations become due at the next scheduled run', async () => {
    const review = await rekey('offboard', 'bob@example.com', '--actor', cliActor);
    const planId = /plan ([0-9a-f]{12}):/.exec(review.stderr)?.[1] ?? '';
    const run = await rekey('offboard', 'bob@example.com', '--actor', cliActor, '--execute', '--plan', planId, '--rotate', 'next-window', '--yes', '--output', 'json');
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as Parsed;
    expect(results.map((row) => String(row['outcome']))).toEqual([
      'due at the next scheduled rotation (rekey rotate --due / the scheduler)',
      'due at the next scheduled rotation (rekey rotate --due / the scheduler)',
      'deleted at the provider',
      'revoked',
      'removed from the organisation',
      'removed from the organisation',
      'disabled (0 sessions ended)',
    ]);
    expect(emulator.isKeyLive(seeded.openai.keys['legacy-export']?.value.reveal() ?? '')).toBe(false);
    expect((await everyFormat('openai', 'users', 'list')).map((row) => row['email'])).not.toContain('bob@example.com');
    expect((await everyFormat('anthropic', 'users', 'list')).map((row) => row['email'])).not.toContain('bob@example.com');
    const due = await runRekey(['rotate', '--due', '--dry-run'], { env });
    expect(due.stdout).toMatch(/openai\/analytics\/batch/);
    expect(due.stdout).toMatch(/openai\/ticketing\/prod/);
    expect(due.stdout).not.toMatch(/openai\/search\/prod/);
    const audit = (JSON.parse((await rekey('audit', 'list', '--output', 'json')).stdout) as Parsed).filter((event) => String(event['event']).startsWith('offboard-'));
    expect(audit.map((event) => event['event'])).toEqual(['offboard-start', ...Array(7).fill('offboard-step'), 'offboard-end']);
    expect(audit.at(-1)).toMatchObject({ outcome: 'ok', detail: { person: 'bob@example.com', plan: planId, done: 7, failed: 0 } });
  });

  it('--rotate now: the revealed credential is rotated at once and its old key is dead', async () => {
    const old = seeded.openai.keys['ticketing-prod']?.value.reveal() ?? '';
    const review = await rekey('offboard', 'erin@example.com', '--actor', cliActor);
    expect(review.stdout).toMatch(/rotate\s+openai\/ticketing\/prod\s+openai/);
    const planId = /plan ([0-9a-f]{12}):/.exec(review.stderr)?.[1] ?? '';
    const run = await rekey('offboard', 'erin@example.com', '--actor', cliActor, '--execute', '--plan', planId, '--rotate', 'now', '--yes', '--output', 'json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect((JSON.parse(run.stdout) as Parsed)[0]?.['outcome']).toMatch(/^rotated \(emergency, rotation /);
    expect(emulator.isKeyLive(old)).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(old);
  }, 60_000);
});
