/**
 * Attack (issue #11 item 9): someone who can write to the database but does not hold the
 * master key inserts an access-token row for a token of their own (its SHA-256 is all the
 * table stores), copying a real row's scope and even its MAC. Before row MACs, `rekey serve`
 * handed them the key. Now the row's MAC (HMAC under a key only the master key unlocks, over
 * the token's id, hash and scope) does not match: the token is refused with a 401, the
 * refusal is audited, and `rekey doctor` names the row. Runs on SQLite and PostgreSQL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { ATTACK_DIALECTS, copyRow, createAttackInstall, type AttackInstall } from './attack-install.js';

const NAME = 'manual/billing/prod';

describe.each(ATTACK_DIALECTS)('attack: a token row inserted by SQL [%s]', (dialect) => {
  const value = `sk-attack-${randomBytes(16).toString('hex')}`;
  let install: AttackInstall;
  let server: RunningKeyServer;
  let legitimate: string;
  const forgedId = 'attacker0001';
  const forged = `rk_read_${forgedId}_${randomBytes(32).toString('base64url')}`;

  beforeAll(async () => {
    install = await createAttackInstall(dialect);
    await install.ok(['credential', 'add', NAME, '--provider', 'manual', '--read-value'], `${value}\n`);
    const created = JSON.parse((await install.ok(['token', 'create', 'billing-api', '--kind', 'read', '--credential', NAME, '--json'])).stdout) as { id: string; token: string };
    legitimate = created.token;
    // The attacker copies the real row — scope, credential ids, MAC and all — under their own id and hash.
    await copyRow(install, 'access_tokens', { column: 'id', value: created.id }, {
      id: { value: forgedId },
      name: { value: 'totally-legit' },
      token_hash: { value: createHash('sha256').update(forged, 'utf8').digest() },
    });
    const context = await install.context();
    server = await startKeyServer({ store: context.store, vault: context.vault });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await install?.dispose();
  });

  const keys = (token: string) => fetch(`${server.url}/v1/credentials/${NAME}/keys`, { headers: { authorization: `Bearer ${token}` } });

  it('refuses the inserted token with a 401 and never sends the key', async () => {
    const response = await keys(forged);
    const body = await response.text();
    expect(response.status).toBe(401);
    expect(body).not.toContain(value);
    // The real token still works: only the forged row is refused.
    const real = await keys(legitimate);
    expect(real.status).toBe(200);
    expect(await real.text()).toContain(value);
  });

  it('rekey doctor names the tampered row by table and id, and the refusal is in the audit log', async () => {
    const doctor = await install.rekey(['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(new RegExp(`tampered access_tokens\\s+${forgedId}: MAC does not match`));
    const list = JSON.parse((await install.ok(['token', 'list', '--json'])).stdout) as Array<{ id: string }>;
    expect(list.map((token) => token.id)).not.toContain(forgedId);
    const events = JSON.parse((await install.ok(['audit', 'list', '--json'])).stdout) as Array<{ event: string; detail: { table?: string; row?: string } }>;
    expect(events).toContainEqual(expect.objectContaining({ event: 'row-refuse', detail: expect.objectContaining({ table: 'access_tokens', row: forgedId }) }));
    expect((await install.ok(['audit', 'verify'])).stdout).toMatch(/chain intact/);
  });
});
