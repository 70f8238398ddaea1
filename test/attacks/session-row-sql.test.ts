/**
 * Attack (issue #11 item 9): someone who can write to the database but does not hold the
 * master key edits the `sessions` table to act as a person on `rekey serve`: inserts a
 * session of their own for the admin (copying a real row, MAC and all), moves a session's
 * owner to the admin, extends an expired session, writes an MFA proof nobody gave (to pass
 * the step-up gate of a production action), or undoes a logout. Before sessions carried a
 * MAC each of these worked; now every one is a 401, audited as `row-refuse`, and
 * `rekey doctor` names the rows — with tampered approval, workload-identity and passkey rows too.
 * A legitimate session keeps working through many requests and a step-up. SQLite and
 * PostgreSQL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managementServices } from '../../src/cli/commands/serve-command.js';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { ATTACK_DIALECTS, copyRow, createAttackInstall, type AttackInstall } from './attack-install.js';

const PASSWORD = 'PLANTED-session-attack-pw-9Tz';
const PROD = 'manual/billing/prod';

describe.each(ATTACK_DIALECTS)('attack: session rows written by SQL [%s]', (dialect) => {
  const value = `sk-attack-${randomBytes(16).toString('hex')}`;
  let install: AttackInstall;
  let server: RunningKeyServer;
  const date = (at: Date) => at.toISOString();

  const call = (token: string, path: string, method = 'GET', body?: unknown) =>
    fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const login = async (user: string) => {
    const response = await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: PASSWORD }) });
    expect(response.status).toBe(201);
    return (await response.json()) as { token: string; session: { id: string } };
  };
  const userId = async (name: string) => (await install.sql<{ id: string }>('SELECT id FROM users WHERE name = ?', [name]))[0]?.id ?? '';

  beforeAll(async () => {
    install = await createAttackInstall(dialect);
    await install.ok(['credential', 'add', PROD, '--provider', 'manual', '--read-value'], `${value}\n`);
    for (const [user, role, scope] of [['ada', 'admin', []], ['olga', 'viewer', ['--credentials', '*/staging']]] as const) {
      await install.ok(['user', 'add', user, '--password-stdin'], `${PASSWORD}\n`);
      await install.ok(['role', 'bind', role, '--user', user, ...scope]);
    }
    const context = await install.context();
    server = await startKeyServer({ store: context.store, vault: context.vault, api: { services: await managementServices(context), version: 'test' } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await install?.dispose();
  });

  it('a legitimate session keeps working through many requests (each re-seals its row)', async () => {
    const { token } = await login('ada');
    for (let index = 0; index < 5; index++) expect((await call(token, '/v1/auth/whoami')).status).toBe(200);
    expect((await call(token, '/v1/users')).status).toBe(200);
  });

  it('refuses a session row inserted for the admin, even with a real row MAC copied', async () => {
    const real = await login('olga');
    const forgedId = 'attackerattack01';
    const forged = `rk_ses_${forgedId}_${randomBytes(32).toString('base64url')}`;
    await copyRow(install, 'sessions', { column: 'id', value: real.session.id }, {
      id: { value: `ses_${forgedId}` },
      user_id: { value: await userId('ada') },
      token_hash: { value: createHash('sha256').update(forged, 'utf8').digest() },
    });
    const response = await call(forged, '/v1/users');
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('fails its integrity check');
    expect((await call(real.token, '/v1/auth/whoami')).status).toBe(200);
  });

  it("refuses a session moved to another person, an expiry extended, an MFA proof written and a logout undone", async () => {
    const moved = await login('olga');
    await install.sql('UPDATE sessions SET user_id = ? WHERE id = ?', [await userId('ada'), moved.session.id]);
    expect((await call(moved.token, '/v1/users')).status).toBe(401);

    const extended = await login('ada');
    await install.sql('UPDATE sessions SET expires_at = ? WHERE id = ?', [date(new Date(Date.now() + 365 * 86_400_000)), extended.session.id]);
    expect((await call(extended.token, '/v1/auth/whoami')).status).toBe(401);

    // Production reveal needs a fresh MFA proof: without one it is a 403 step-up-required…
    const stepped = await login('ada');
    const before = await call(stepped.token, `/v1/credentials/${encodeURIComponent(PROD)}/reveal`, 'POST', {});
    expect(before.status).toBe(403);
    expect(((await before.json()) as { error: { code: string } }).error.code).toBe('step-up-required');
    // …and an MFA proof written into the row by SQL does not stand in for one.
    await install.sql('UPDATE sessions SET mfa_at = ?, mfa_method = ? WHERE id = ?', [date(new Date()), 'totp', stepped.session.id]);
    const after = await call(stepped.token, `/v1/credentials/${encodeURIComponent(PROD)}/reveal`, 'POST', {});
    expect(after.status).toBe(401);
    expect(await after.text()).not.toContain(value);

    const revived = await login('ada');
    expect((await call(revived.token, '/v1/auth/logout', 'POST')).status).toBe(200);
    expect((await call(revived.token, '/v1/auth/whoami')).status).toBe(401);
    await install.sql('UPDATE sessions SET revoked_at = NULL WHERE id = ?', [revived.session.id]);
    expect((await call(revived.token, '/v1/auth/whoami')).status).toBe(401);
  });

  it('rekey doctor names every tampered session, approval, workload-identity and passkey row; the refusals are audited', async () => {
    await install.ok(['approvals', 'policy', 'add', 'prod-reveal', '--capability', 'reveal', '--environment', 'prod', '--approvals', '1', '--approver-role', 'admin']);
    const request = JSON.parse((await install.ok(['approvals', 'request', 'reveal', '--as', 'olga', '--credential', PROD, '--json'])).stdout) as { id: string };
    await install.sql('UPDATE approval_requests SET approvals_required = 0 WHERE id = ?', [request.id]);
    await install.sql('UPDATE approval_policies SET approvals_required = 0 WHERE name = ?', ['prod-reveal']);
    await install.sql(
      "INSERT INTO approval_decisions (request_id, approver, decision, via, comment, at, mac) VALUES (?, 'mallory', 'approve', 'cli', NULL, ?, NULL)",
      [request.id, date(new Date())],
    );
    const context = await install.context();
    const { saveWorkloadIdentity } = await import('../../src/team/workload-identity.js');
    await saveWorkloadIdentity(
      { store: context.store, audit: context.audit, clock: context.clock, actor: 'test', integrity: context.integrity.sealed ? context.integrity.rows : undefined },
      { name: 'ci-deploy', issuer: 'https://token.actions.example', audience: 'rekey', boundClaims: { repository: 'acme/app' }, groups: ['deployers'] },
    );
    await install.sql(dialect === 'sqlite' ? 'UPDATE workload_identities SET bound_claims = ? WHERE name = ?' : 'UPDATE workload_identities SET bound_claims = ?::jsonb WHERE name = ?', [JSON.stringify({ repository: '*' }), 'ci-deploy']);

    // A passkey row planted for the admin (the attacker's own public key): no MAC under the install's key.
    await install.sql(
      dialect === 'sqlite'
        ? "INSERT INTO webauthn_credentials (id, user_id, name, public_key, counter, transports, created_at, mac, rp_id) VALUES ('pk_planted01', ?, 'attacker', ?, 0, '[]', ?, NULL, 'localhost')"
        : "INSERT INTO webauthn_credentials (id, user_id, name, public_key, counter, transports, created_at, mac, rp_id) VALUES ('pk_planted01', ?, 'attacker', ?, 0, '[]'::jsonb, ?, NULL, 'localhost')",
      [await userId('ada'), randomBytes(77), date(new Date())],
    );

    const doctor = await install.rekey(['doctor']);
    expect(doctor.code).toBe(1);
    for (const table of ['sessions', 'approval_requests', 'approval_policies', 'approval_decisions', 'workload_identities', 'webauthn_credentials']) {
      expect(doctor.stdout).toMatch(new RegExp(`tampered ${table}\\s+\\S+`));
    }
    expect(doctor.stdout).toMatch(/tampered sessions\s+ses_attackerattack01/);
    expect(doctor.stdout).toMatch(new RegExp(`tampered approval_requests\\s+${request.id}`));
    expect(doctor.stdout).toMatch(new RegExp(`tampered approval_decisions\\s+${request.id} mallory`));
    expect(doctor.stdout).toMatch(/tampered workload_identities\s+ci-deploy/);
    expect(doctor.stdout).toMatch(/tampered webauthn_credentials\s+pk_planted01/);
    // The untouched sessions are not listed: 2 moved/extended, 1 MFA-forged, 1 revived, 1 inserted.
    expect(doctor.stdout.match(/tampered sessions/g)?.length).toBe(5);
    const events = JSON.parse((await install.ok(['audit', 'list', '--json'])).stdout) as Array<{ event: string; detail: { table?: string } }>;
    expect(events.filter((event) => event.event === 'row-refuse' && event.detail.table === 'sessions').length).toBeGreaterThanOrEqual(5);
  });
});
