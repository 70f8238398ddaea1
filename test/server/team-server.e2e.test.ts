/**
 * Two people share one PostgreSQL-backed `rekey serve` (issue 11, "Done when", server
 * half), everything through the built binary against the emulator: an admin sets the
 * install up locally (audited as local/break-glass), an operator bound to `*\/staging`
 * signs in from their own machine, rotates staging through the CLI in server mode, and is
 * refused production with a 403 that names the capability and the scope; the audit log
 * read through the API shows both people. A slice of the authorization matrix runs
 * through the CLI too. No password or session token reaches an output or the audit log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { REKEY_BIN, runRekey, temporaryHome, type CliResult } from '../helpers/cli-runner.js';
import { withPostgresDatabase, type PostgresTestDatabase } from '../store/postgres-fixture.js';

const PASSWORD = 'PLANTED-team-password-4Wq9';
const STAGING = 'openai/ticketing/staging';
const PROD = 'openai/ticketing/prod';

withPostgresDatabase('team server [postgres]', (database: () => PostgresTestDatabase) => {
  describe('two people on one PostgreSQL-backed server [postgres]', () => {
    let emulator: RunningEmulator;
    let server: ChildProcess;
    let url = '';
    let adminEnv: Record<string, string>;
    const outputs: CliResult[] = [];
    const planted: string[] = [PASSWORD];
    const rekey = async (args: string[], env: Record<string, string>, input?: string) => {
      const result = await runRekey(args, { env, input, timeoutMs: 60_000 });
      outputs.push(result);
      return result;
    };
    const person = (name: string) => ({ REKEY_HOME: temporaryHome(`rekey-${name}-`), REKEY_SERVER: url });
    let olga: { REKEY_HOME: string; REKEY_SERVER: string };
    let ada: { REKEY_HOME: string; REKEY_SERVER: string };

    beforeAll(async () => {
      emulator = await startEmulator({ port: 0, seed: 11 });
      adminEnv = {
        REKEY_HOME: temporaryHome('rekey-team-server-'),
        REKEY_DATABASE_URL: database().url(),
        OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
        OPENAI_BASE_URL: emulator.openaiBaseUrl,
      };
      expect((await rekey(['init'], adminEnv)).code).toBe(0);
      for (const name of [STAGING, PROD]) {
        const seeded = await emulator.seedOpenAIProject(name.split('/').at(-1) ?? name);
        planted.push(seeded.key.reveal());
        const added = await rekey(['credential', 'add', name, '--provider', 'openai', '--scope', `project=${seeded.projectId}`, '--provider-key-id', seeded.keyId, '--read-value'], adminEnv, seeded.key.reveal());
        expect(added.code, added.stderr).toBe(0);
      }
      for (const [user, role, scope] of [['olga', 'operator', ['--credentials', '*/staging']], ['ada', 'admin', []], ['sam', 'operator', []]] as const) {
        const groups = user === 'sam' ? ['--group', 'security'] : [];
        expect((await rekey(['user', 'add', user, '--password-stdin', ...groups], adminEnv, `${PASSWORD}\n`)).code).toBe(0);
        expect((await rekey(['role', 'bind', role, '--user', user, ...scope], adminEnv)).code).toBe(0);
      }
      // Production rotations need one approval from the security group (two-person rule).
      const policy = await rekey(['approvals', 'policy', 'add', 'prod-rotate', '--capability', 'rotate', '--environment', 'prod', '--approvals', '1', '--approver-group', 'security'], adminEnv);
      expect(policy.code, policy.stderr).toBe(0);
      server = spawn(process.execPath, [REKEY_BIN, 'serve', '--port', '0'], { env: { PATH: process.env.PATH, NO_COLOR: '1', ...adminEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      url = await new Promise<string>((resolve, reject) => {
        let text = '';
        server.stderr?.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(text);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        server.once('exit', (code) => reject(new Error(`rekey serve exited ${String(code)}: ${text}`)));
      });
    }, 120_000);

    afterAll(async () => {
      server?.kill('SIGTERM');
      await emulator?.close();
      for (const output of outputs) for (const secret of planted) expect(output.stdout + output.stderr).not.toContain(secret);
    });

    it('the operator rotates staging from the CLI, is refused prod naming the capability, and the audit log shows both people', async () => {
      olga = person('olga');
      const login = await rekey(['login', '--user', 'olga', '--password-stdin'], olga, `${PASSWORD}\n`);
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain(`signed in to ${url} as olga`);
      const sessionFile = join(olga.REKEY_HOME, 'session.json');
      expect(statSync(sessionFile).mode & 0o777).toBe(0o600);

      const whoami = await rekey(['whoami'], olga);
      expect(whoami.stdout).toContain('operator on credentials=*/staging: read-metadata, rotate');

      const listed = await rekey(['credential', 'list', '--json'], olga);
      expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((row) => row.name)).toEqual([STAGING]);

      const rotated = await rekey(['rotate', STAGING, '--grace-quiet', '1s'], olga);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/rotated openai\/ticketing\/staging \(rotation \S+\): v1 → v2, old key revoked/);

      const refused = await rekey(['rotate', PROD, '--grace-quiet', '1s'], olga);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('rekey: user olga lacks capability rotate on openai/ticketing/prod (needs capability rotate on openai/ticketing/prod)');
      expect(refused.stderr).toContain('hint: you hold it as: operator on credentials=*/staging');

      ada = person('ada');
      expect((await rekey(['login', '--user', 'ada', '--password-stdin'], ada, `${PASSWORD}\n`)).code).toBe(0);
      // A token for production is a way to its key: the step-up gate wants a fresh MFA proof first.
      const prodToken = await rekey(['token', 'create', 'ticketing-api', '--kind', 'read', '--credential', PROD], ada);
      expect(prodToken.code).toBe(1);
      expect(prodToken.stderr).toContain('manage-tokens on openai/ticketing/prod needs a fresh MFA proof');
      const token = await rekey(['token', 'create', 'ticketing-api', '--kind', 'read', '--credential', STAGING, '--json'], ada);
      expect(token.code, token.stderr).toBe(0);
      planted.push((JSON.parse(token.stdout) as { token: string }).token);
      outputs.splice(outputs.indexOf(token), 1); // the one output that shows the new token

      const audit = await rekey(['audit', 'list', '--json'], ada);
      expect(audit.code, audit.stderr).toBe(0);
      const events = JSON.parse(audit.stdout) as Array<{ event: string; actor: string; credential: string | null; outcome: string; detail: Record<string, unknown> }>;
      expect(events.find((event) => event.event === 'rotation-end' && event.credential === STAGING)).toMatchObject({ actor: 'user:olga', detail: { via: { session: expect.stringMatching(/^ses_/), source: '127.0.0.1' } } });
      expect(events.find((event) => event.event === 'access-deny')).toMatchObject({ actor: 'user:olga', credential: PROD, detail: { capability: 'rotate', scope: PROD } });
      expect(events.find((event) => event.event === 'token-create')).toMatchObject({ actor: 'user:ada' });
      expect(events.find((event) => event.event === 'user-add')).toMatchObject({ detail: { via: { mode: 'local/break-glass' } } });
      expect((await rekey(['audit', 'verify'], ada)).code).toBe(0);

      // A session token never appears in an output or the audit log.
      const saved = JSON.parse((await import('node:fs')).readFileSync(sessionFile, 'utf8')) as { token: string };
      planted.push(saved.token);
      expect(audit.stdout).not.toContain(saved.token);
    }, 120_000);

    it('a slice of the authorization matrix through the CLI: what the role grants in scope, 403 outside it or without the capability', async () => {
      const cases: Array<{ who: Record<string, string>; args: string[]; code: number; capability?: string }> = [
        { who: olga, args: ['credential', 'show', STAGING], code: 0 },
        { who: olga, args: ['credential', 'show', PROD], code: 1, capability: 'read-metadata' },
        { who: olga, args: ['credential', 'reveal', STAGING, '--yes'], code: 1, capability: 'reveal' },
        { who: olga, args: ['rotate', STAGING, '--dry-run'], code: 0 },
        { who: olga, args: ['rotate', STAGING, '--emergency', '--dry-run'], code: 0 },
        { who: olga, args: ['token', 'create', 'x', '--kind', 'read', '--credential', STAGING], code: 1, capability: 'manage-tokens' },
        { who: olga, args: ['audit', 'list'], code: 1, capability: 'read-audit' },
        { who: ada, args: ['credential', 'versions', PROD], code: 0 },
        { who: ada, args: ['audit', 'list', '--limit', '1'], code: 0 },
      ];
      for (const entry of cases) {
        const result = await rekey(entry.args, entry.who);
        expect(result.code, `${entry.args.join(' ')}: ${result.stderr}`).toBe(entry.code);
        if (entry.capability !== undefined) expect(result.stderr).toContain(`needs capability ${entry.capability}`);
      }
      // A new value and rotate --due go through the API too.
      const value = `sk-proj-${'Q7'.repeat(24)}`;
      planted.push(value);
      const stored = await rekey(['credential', 'set-value', STAGING, '--stage', 'pending', '--json'], ada, `${value}\n`);
      expect(stored.code, stored.stderr).toBe(0);
      expect(JSON.parse(stored.stdout)).toMatchObject({ stage: 'pending', hint: expect.any(String) });
      expect((await rekey(['credential', 'set-value', PROD, '--stage', 'pending'], olga, `${value}\n`)).stderr).toContain('needs capability rotate on openai/ticketing/prod');
      const due = await rekey(['rotate', '--due', '--dry-run'], ada);
      expect(due.code, due.stderr).toBe(0);
      expect(due.stdout).toBe('nothing is due\n');
      const prodReveal = await rekey(['credential', 'reveal', PROD, '--yes'], ada);
      expect(prodReveal.code).toBe(1);
      expect(prodReveal.stderr).toContain('reveal on openai/ticketing/prod needs a fresh MFA proof');
      const revealed = await rekey(['credential', 'reveal', STAGING, '--yes'], ada);
      expect(revealed.code, revealed.stderr).toBe(0);
      planted.push(revealed.stdout.trim());
      outputs.splice(outputs.indexOf(revealed), 1); // the one output that shows the key
      expect(revealed.stdout.trim()).toMatch(/^sk-/);
    }, 120_000);

    it('a production rotation runs only after the requester steps up with TOTP from the CLI and a second person approves from the CLI; the audit log shows both', async () => {
      const { totpCode } = await import('../../src/team/totp.js');
      const code = (secret: string, offsetSeconds = 0) => `${totpCode(secret, new Date(Date.now() + offsetSeconds * 1000))}\n`;
      /** TOTP enrolment through the CLI in server mode: the secret from `mfa enroll`, confirmed with the current code. */
      const enrol = async (who: Record<string, string>) => {
        const enrolled = await rekey(['mfa', 'enroll', '--json'], who);
        expect(enrolled.code, enrolled.stderr).toBe(0);
        outputs.splice(outputs.indexOf(enrolled), 1); // the one output that shows the secret
        const { secret } = JSON.parse(enrolled.stdout) as { secret: string };
        planted.push(secret);
        const confirmed = await rekey(['mfa', 'confirm', '--code-stdin', '--json'], who, code(secret));
        expect(confirmed.code, confirmed.stderr).toBe(0);
        outputs.splice(outputs.indexOf(confirmed), 1); // shows the recovery codes
        planted.push(...(JSON.parse(confirmed.stdout) as { recoveryCodes: string[] }).recoveryCodes);
        return secret;
      };
      const adaSecret = await enrol(ada);
      expect((await rekey(['mfa', 'status'], ada)).stdout).toContain('ada: TOTP confirmed, 10 recovery code(s) left');

      const rotateProd = ['rotate', PROD, '--grace-quiet', '1s'];
      const noStepUp = await rekey(rotateProd, ada);
      expect(noStepUp.code).toBe(1);
      expect(noStepUp.stderr).toContain('rotate on openai/ticketing/prod needs a fresh MFA proof');
      expect(noStepUp.stderr).toContain('rekey mfa step-up');
      // The next time step: the one that confirmed the enrolment is spent.
      const steppedUp = await rekey(['mfa', 'step-up', '--code-stdin'], ada, code(adaSecret, 30));
      expect(steppedUp.code, steppedUp.stderr).toBe(0);
      expect(steppedUp.stdout).toMatch(/stepped up \(totp\); production actions allowed until /);

      const asked = await rekey(rotateProd, ada);
      expect(asked.code).toBe(1);
      expect(asked.stderr).toMatch(/rotate on openai\/ticketing\/prod needs 1 approval\(s\) under policy prod-rotate: request (apr_\S+) created/);
      const approval = /\(approval (apr_[A-Za-z0-9-]+)\)/.exec(asked.stderr)?.[1] ?? '';
      const repeat = `rekey rotate ${PROD} --grace-quiet 1s --approval ${approval}`;
      expect(asked.stderr).toContain(`hint: another person approves it (rekey approvals approve ${approval}); then repeat exactly: ${repeat}`);

      const sam = person('sam');
      expect((await rekey(['login', '--user', 'sam', '--password-stdin'], sam, `${PASSWORD}\n`)).code).toBe(0);
      const pending = await rekey(['approvals', 'list', '--status', 'pending', '--json'], sam);
      expect((JSON.parse(pending.stdout) as Array<{ id: string; requester: string; target: { name: string } }>)[0]).toMatchObject({ id: approval, requester: 'ada', target: { name: PROD } });
      const shown = await rekey(['approvals', 'show', approval], sam);
      expect(shown.stdout).toContain(`rotate on ${PROD}, asked by ada`);
      // The requester cannot approve their own request, and the approver needs their own fresh proof.
      const self = await rekey(['approvals', 'approve', approval], ada);
      expect(self.code, self.stderr).toBe(3); // a policy refusal, as in local mode
      const unproved = await rekey(['approvals', 'approve', approval], sam);
      expect(unproved.code).toBe(1);
      expect(unproved.stderr).toContain(`approving ${approval} needs a fresh MFA proof from sam`);
      const samSecret = await enrol(sam);
      const approved = await rekey(['approvals', 'approve', approval, '--code-stdin', '--comment', 'change 4411'], sam, code(samSecret, 30));
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stdout).toContain(`approved ${approval} as sam; request is approved`);

      const rotated = await rekey(repeat.split(' ').slice(1), ada);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/rotated openai\/ticketing\/prod \(rotation \S+\): v1 → v2, old key revoked/);
      // Once: the same approval does not run a second rotation.
      expect((await rekey(repeat.split(' ').slice(1), ada)).code).toBe(1);

      const events = JSON.parse((await rekey(['audit', 'list', '--json'], ada)).stdout) as Array<{ event: string; actor: string; credential: string | null; outcome: string; detail: Record<string, unknown> }>;
      expect(events.find((event) => event.event === 'approval-request' && event.detail.request === approval)).toMatchObject({ actor: 'user:ada', credential: PROD });
      expect(events.filter((event) => event.event === 'approval-approve' && event.outcome === 'ok')).toEqual([expect.objectContaining({ actor: 'user:sam', credential: PROD, detail: expect.objectContaining({ request: approval, via: expect.objectContaining({ mfa: 'totp', session: expect.stringMatching(/^ses_/) }) }) })]);
      expect(events.find((event) => event.event === 'approval-approve' && event.outcome === 'error')).toMatchObject({ actor: 'user:ada' });
      expect(events.find((event) => event.event === 'rotation-end' && event.credential === PROD)).toMatchObject({ actor: 'user:ada', detail: { via: { approval, mfa: 'totp' } } });
    }, 120_000);

    it('logout ends the session on the server; the next command says to sign in; local-only commands refuse server mode', async () => {
      const token = (JSON.parse((await import('node:fs')).readFileSync(join(olga.REKEY_HOME, 'session.json'), 'utf8')) as { token: string }).token;
      planted.push(token);
      expect((await rekey(['logout'], olga)).stdout).toContain('signed out');
      const after = await rekey(['credential', 'list'], olga);
      expect(after.code).toBe(1);
      expect(after.stderr).toContain(`not signed in to ${url}`);
      // The old token is refused by the server itself.
      const direct = await fetch(`${url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } });
      expect(direct.status).toBe(401);
      const local = await rekey(['retention', 'show'], olga);
      expect(local.code).toBe(2);
      expect(local.stderr).toContain('does not run against a rekey server yet');
    }, 60_000);
  });
});
