/**
 * The authorization matrix through the CLI in server mode (issue 11 item 10): every
 * capability × every built-in role × in scope / out of scope, as `rekey …` command lines
 * run in-process (`main`, the binary's own entry) against the management API served on
 * loopback. Allowed: the command does what it does (exit 0, or the engine's own answer for
 * a finished rotation or a missing consumer); refused: exit 1 with the message naming the
 * capability and the scope. Credential capabilities are granted on `*\/staging` and tried on
 * staging (in) and production (out); install-wide ones granted unrestricted (in) or on
 * `*\/staging` (out). Then the CLI's answers to the gates: a step-up it asks for on a
 * terminal and retries, and an approval it names with the command to repeat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listenFetch, type Listening } from '../../src/access/listen-fetch.js';
import { main } from '../../src/cli/main.js';
import { saveSession, stepUpPrompt } from '../../src/cli/server-client.js';
import { BUILTIN_ROLE_NAMES, BUILTIN_ROLES, CAPABILITIES, isInstallCapability, type Capability } from '../../src/core/team-types.js';
import { saveApprovalPolicy } from '../../src/team/approval-service.js';
import { totpCode } from '../../src/team/totp.js';
import { setUserGroups } from '../../src/team/user-service.js';
import { createApiWorld, type ApiWorld } from '../helpers/api-world.js';

const STAGING = 'openai/ticketing/staging';
const PROD = 'openai/ticketing/prod';

/** Capabilities without a command to probe here, and why. */
const NOT_PROBED = {
  approve: 'deciding a request is its own command (rekey approvals approve), tested with the two-person rule below and in team-server.e2e',
  'master-key-rotate': 'rekey master-key rotate runs where the key is: the new master key never travels over HTTP',
} as const satisfies Partial<Record<Capability, string>>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const homes = new Map<string, string>();
const rotationOf = new Map<string, string>();
let root: string;
let serial = 0;

/** One `rekey …` command line in this process, as a person signed in with their own session file. */
async function rekey(person: string, args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.env.REKEY_HOME = homes.get(person) ?? '';
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'rekey', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    delete process.env.REKEY_APPROVAL;
    out.mockRestore();
    err.mockRestore();
  }
}

/** The command that needs `capability` on `credential` (or the install), and its exit code when allowed. */
const PROBES: Record<Exclude<Capability, keyof typeof NOT_PROBED>, { allowed: number; args: (credential: string) => string[] }> = {
  'read-metadata': { allowed: 0, args: (credential) => ['credential', 'show', credential] },
  reveal: { allowed: 0, args: (credential) => ['credential', 'reveal', credential, '--yes'] },
  rotate: { allowed: 0, args: (credential) => ['rotate', credential, '--dry-run'] },
  'emergency-rotate': { allowed: 0, args: (credential) => ['rotate', credential, '--emergency', '--dry-run'] },
  // The rotation is finished: an allowed caller reaches the engine, which says so (exit 1, no capability named).
  'end-grace': { allowed: 1, args: (credential) => ['rotations', 'end-grace', rotationOf.get(credential) ?? '', '--yes'] },
  'manage-consumers': { allowed: 1, args: (credential) => ['consumer', 'remove', credential, 'no-such-consumer', '--yes'] },
  'manage-tokens': { allowed: 0, args: (credential) => ['token', 'create', `matrix-${++serial}`, '--kind', 'read', '--credential', credential] },
  'manage-users': { allowed: 0, args: () => ['user', 'list'] },
  'manage-policy': { allowed: 0, args: (credential) => ['credential', 'edit', credential, '--owner', `team-${++serial}`] },
  'read-audit': { allowed: 0, args: () => ['audit', 'list', '--limit', '1'] },
};

async function serveWorld(world: ApiWorld): Promise<Listening> {
  return listenFetch((request, env) => world.app.fetch(request, env), { host: '127.0.0.1', port: 0 });
}

async function signIn(world: ApiWorld, server: string, name: string): Promise<void> {
  const home = join(root, name);
  homes.set(name, home);
  const token = await world.login(name);
  await saveSession({ server, token, user: name, session: 'ses_test', expiresAt: new Date(Date.now() + 3_600_000).toISOString() }, home);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rekey-matrix-cli-'));
});
afterAll(() => {
  delete process.env.REKEY_SERVER;
  delete process.env.REKEY_HOME;
  rmSync(root, { recursive: true, force: true });
});

describe('authorization matrix through the CLI in server mode', () => {
  let world: ApiWorld;
  let listening: Listening;

  beforeAll(async () => {
    world = await createApiWorld();
    listening = await serveWorld(world);
    process.env.REKEY_SERVER = listening.url;
    for (const name of [STAGING, PROD]) {
      await world.addCredential(name);
      const outcome = await (await world.services.rotations(world.audit)).start({ credential: name, actor: 'test:setup', graceQuietSeconds: 0, graceMaxSeconds: 60 });
      expect(outcome.state).toBe('done');
      rotationOf.set(name, outcome.rotationId);
    }
    for (const role of BUILTIN_ROLE_NAMES) {
      await world.addPerson(`${role}-staging`, [{ role, scope: { credentials: '*/staging' } }]);
      await world.addPerson(`${role}-all`, [{ role, scope: {} }]);
      await signIn(world, listening.url, `${role}-staging`);
      await signIn(world, listening.url, `${role}-all`);
    }
  }, 60_000);
  afterAll(async () => {
    await listening?.close();
    await world?.close();
  });

  it('has a probe for every capability, or says why not', () => {
    expect(CAPABILITIES.filter((capability) => !(capability in PROBES) && !(capability in NOT_PROBED))).toEqual([]);
  });

  for (const role of BUILTIN_ROLE_NAMES) {
    it(`${role}: every capability in and out of scope`, async () => {
      for (const capability of CAPABILITIES) {
        const probe = (PROBES as Partial<Record<Capability, (typeof PROBES)['reveal']>>)[capability];
        if (probe === undefined) continue;
        const granted = (BUILTIN_ROLES[role].capabilities as readonly string[]).includes(capability);
        const install = isInstallCapability(capability);
        const refusal = (scope: string) => `needs capability ${capability} on ${scope}`;
        const inScope = await rekey(install ? `${role}-all` : `${role}-staging`, probe.args(STAGING));
        if (granted) {
          expect(inScope.code, `${role} × ${capability} in scope: ${inScope.stderr}`).toBe(probe.allowed);
          expect(inScope.stderr).not.toContain('needs capability');
        } else {
          expect(inScope.code, `${role} × ${capability} in scope: ${inScope.stderr}`).toBe(1);
          expect(inScope.stderr).toContain(refusal(install ? 'install' : STAGING));
        }
        const outOfScope = await rekey(`${role}-staging`, probe.args(install ? STAGING : PROD));
        expect(outOfScope.code, `${role} × ${capability} out of scope`).toBe(1);
        expect(outOfScope.stderr).toMatch(new RegExp(`^rekey: .*${refusal(install ? 'install' : PROD).replace(/[*/]/g, '\\$&')}`, 'm'));
        expect(outOfScope.stdout).toBe('');
      }
    });
  }
});

describe('the CLI answers the gates: step-up on a terminal, approvals by id', () => {
  let world: ApiWorld;
  let listening: Listening;
  let secret = '';

  beforeAll(async () => {
    world = await createApiWorld({ team: true });
    listening = await serveWorld(world);
    process.env.REKEY_SERVER = listening.url;
    await world.addCredential(PROD);
    await world.addPerson('alice', [{ role: 'admin', scope: {} }]);
    await world.addPerson('bob', [{ role: 'operator', scope: {} }]);
    const team = { store: world.store, audit: world.audit, clock: world.clock, actor: 'test:setup' };
    await setUserGroups(team, 'bob', ['security']);
    await saveApprovalPolicy(team, { name: 'prod-rotate', capabilities: ['rotate'], scope: { environment: 'prod' }, approvals: 1, approverGroup: 'security', ttlSeconds: 3600 });
    await signIn(world, listening.url, 'alice');
    await signIn(world, listening.url, 'bob');
    const enrolled = await rekey('alice', ['mfa', 'enroll', '--json']);
    secret = (JSON.parse(enrolled.stdout) as { secret: string }).secret;
    // `mfa confirm --code-stdin` would read this process's stdin: confirm through the API, as the CLI does.
    const response = await world.call('POST', '/v1/mfa/totp/confirm', await world.login('alice'), { totp: totpCode(secret, world.clock.now()) });
    expect(response.status).toBe(200);
    world.clock.advance(30_000);
  }, 60_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await listening?.close();
    await world?.close();
  });

  it('on a terminal, a 403 step-up-required asks for a code, steps up and retries once; then approval-required names the request and the command to repeat', async () => {
    const asked: string[] = [];
    vi.spyOn(stepUpPrompt, 'interactive').mockReturnValue(true);
    vi.spyOn(stepUpPrompt, 'ask').mockImplementation(async (question) => {
      asked.push(question);
      return totpCode(secret, world.clock.now());
    });
    const first = await rekey('alice', ['rotate', PROD, '--grace-quiet', '1s']);
    expect(asked).toHaveLength(1);
    expect(first.stderr).toContain('rotate on openai/ticketing/prod needs a fresh MFA proof');
    expect(first.code).toBe(1);
    const approval = /\(approval (apr_[A-Za-z0-9-]+)\)/.exec(first.stderr)?.[1] ?? '';
    expect(approval).not.toBe('');
    expect(first.stderr).toContain(`then repeat exactly: rekey rotate ${PROD} --grace-quiet 1s --approval ${approval}`);

    // Not on a terminal: no prompt, a refusal that says how to step up.
    vi.spyOn(stepUpPrompt, 'interactive').mockReturnValue(false);
    const bob = await rekey('bob', ['approvals', 'approve', approval]);
    expect(bob.code).toBe(1);
    expect(bob.stderr).toContain(`approving ${approval} needs a fresh MFA proof from bob`);
    expect(bob.stderr).toContain('hint: step up with a current code first: rekey mfa step-up');
    expect(asked).toHaveLength(1);
  });
});

describe('state commands ported to server mode print what local mode prints', () => {
  let world: ApiWorld;
  let listening: Listening;

  beforeAll(async () => {
    world = await createApiWorld();
    listening = await serveWorld(world);
    process.env.REKEY_SERVER = listening.url;
    await world.addCredential(STAGING);
    await world.addPerson('root', [{ role: 'admin', scope: {} }]);
    await signIn(world, listening.url, 'root');
  }, 60_000);
  afterAll(async () => {
    await listening?.close();
    await world?.close();
  });

  const ok = async (args: string[]) => {
    const result = await rekey('root', args);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout;
  };

  it('user, role and consumer commands go through the API, audited as the person', async () => {
    expect(await ok(['user', 'add', 'carol', '--no-password', '--group', 'sre'])).toMatch(/^added user carol \(\S+\) in sre; bind a role with rekey role bind\n$/);
    const users = JSON.parse(await ok(['user', 'list', '--json'])) as Array<{ name: string; mfa: string; groups: string[] }>;
    expect(users.find((user) => user.name === 'carol')).toMatchObject({ mfa: 'none', groups: ['sre'] });
    expect(await ok(['user', 'list'])).toMatch(/NAME\s+STATUS\s+GROUPS\s+MFA\s+CREATED\n/);
    expect(await ok(['role', 'add', 'rotator', '--capability', 'read-metadata', '--capability', 'rotate'])).toBe('saved role rotator: read-metadata, rotate\n');
    expect(await ok(['role', 'require-mfa', 'rotator'])).toBe('role rotator: MFA required\n');
    const bound = await ok(['role', 'bind', 'rotator', '--user', 'carol', '--credentials', '*/staging']);
    const binding = /\((\S+)\)\n$/.exec(bound)?.[1] ?? '';
    expect(bound).toBe(`bound rotator to user carol (${binding})\n`);
    expect(await ok(['role', 'bindings', '--user', 'carol'])).toContain('credentials=*/staging');
    expect((JSON.parse(await ok(['role', 'list', '--json'])) as Array<{ name: string; requireMfa: boolean }>).find((role) => role.name === 'rotator')).toMatchObject({ requireMfa: true });
    expect(await ok(['role', 'unbind', binding])).toBe(`removed binding ${binding}\n`);
    expect(await ok(['role', 'remove', 'rotator'])).toBe('removed role rotator\n');
    expect(await ok(['user', 'reset-mfa', 'carol'])).toBe('reset MFA of carol; 0 passkey(s) removed, 0 session(s) ended\n');
    expect(await ok(['user', 'disable', 'carol'])).toBe('disabled user carol; 0 session(s) ended\n');

    const path = join(root, 'app.env');
    expect(await ok(['consumer', 'add', STAGING, 'app-env', '--path', path, '--var', 'OPENAI_API_KEY'])).toBe(`added consumer app-env (env-file) to ${STAGING}\n`);
    expect(await ok(['consumer', 'update', STAGING, 'app-env', '--var', 'OPENAI_KEY'])).toBe(`updated consumer app-env of ${STAGING}: sink options\n`);
    expect(await ok(['consumer', 'update', STAGING, 'app-env', '--var', 'OPENAI_KEY'])).toBe(`consumer app-env of ${STAGING}: nothing to change\n`);
    expect((JSON.parse(await ok(['consumer', 'list', STAGING, '--json'])) as Array<{ config: { name: string } }>)[0]?.config.name).toBe('OPENAI_KEY');
    const bad = await rekey('root', ['consumer', 'update', STAGING, 'app-env', '--config', 'mode=banana']);
    expect(bad.code).toBe(1);
    expect(await ok(['consumer', 'remove', STAGING, 'app-env', '--yes'])).toBe(`removed consumer app-env from ${STAGING}\n`);

    const events = await world.audit.list();
    for (const event of ['user-add', 'role-save', 'role-mfa', 'role-bind', 'role-unbind', 'role-remove', 'user-reset-mfa', 'user-disable', 'consumer-add', 'consumer-update', 'consumer-remove']) {
      expect(events.find((entry) => entry.event === event && entry.actor === 'user:root'), event).toMatchObject({ detail: expect.objectContaining({ via: expect.objectContaining({ source: '127.0.0.1' }) }) });
    }
  });
});
