/**
 * Attack (issue #11 item 9): someone with write access to the database (no master key)
 * drops the append-only triggers, rewrites an old audit event, recomputes every hash after
 * it and the recorded head, as the chain's algorithm is public. On an install whose events
 * predate sealing (an unkeyed prefix), and with the keyed events after it deleted, the chain
 * verifies again from inside the database. A signed checkpoint kept outside it does not
 * agree: `rekey audit verify --checkpoint FILE` names the rewritten event. On a newly
 * initialised install every event is keyed, so recomputing with SHA-256 fails at once.
 * Runs on SQLite and PostgreSQL.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAuditEvent } from '../../src/audit/audit-chain.js';
import type { AuditEvent } from '../../src/core/types.js';
import { openStore } from '../../src/store/open-store.js';
import { AUDIT_GENESIS_HASH } from '../../src/store/store.js';
import { ATTACK_DIALECTS, createAttackInstall, type AttackInstall } from './attack-install.js';

async function storedEvents(install: AttackInstall): Promise<AuditEvent[]> {
  const store = await openStore({ sqlitePath: join(install.home, 'rekey.db'), ...(install.env.REKEY_DATABASE_URL === undefined ? {} : { databaseUrl: install.env.REKEY_DATABASE_URL }) });
  try {
    return await store.listAudit();
  } finally {
    await store.close();
  }
}

/** The attacker's rewrite: change event 2, keep only the first `keep` events, re-chain them with SHA-256 and reset the head. */
async function rehash(install: AttackInstall, keep: number): Promise<void> {
  if (install.dialect === 'sqlite') {
    await install.sql('DROP TRIGGER audit_events_no_update');
    await install.sql('DROP TRIGGER audit_events_no_delete');
  } else {
    await install.sql('DROP TRIGGER audit_events_no_change ON audit_events');
  }
  const events = (await storedEvents(install)).slice(0, keep);
  await install.sql('DELETE FROM audit_events WHERE seq > ?', [keep]);
  let prevHash = AUDIT_GENESIS_HASH;
  for (const event of events) {
    const detail = event.seq === 2 ? { ...event.detail, forged: 'nothing to see here' } : event.detail;
    const hash = hashAuditEvent({ ...event, detail }, event.seq, prevHash);
    await install.sql('UPDATE audit_events SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?', [JSON.stringify(detail), prevHash, hash, event.seq]);
    prevHash = hash;
  }
  await install.sql('UPDATE settings SET value = ? WHERE key = ?', [`${keep}:${prevHash}`, 'audit.head']);
}

describe.each(ATTACK_DIALECTS)('attack: a rehashed audit history [%s]', (dialect) => {
  let legacy: AttackInstall;
  let fresh: AttackInstall;
  let checkpoints: string;
  let unkeyed = 0;

  beforeAll(async () => {
    legacy = await createAttackInstall(dialect, { legacy: true });
    checkpoints = join(legacy.home, '..', 'checkpoints.jsonl');
    await legacy.ok(['credential', 'add', 'manual/audit/prod', '--provider', 'manual', '--read-value'], 'sk-audit-aaaaaaaaaaaaaaaaaaaaaaaa\n');
    await legacy.ok(['token', 'create', 'audit-app', '--kind', 'read', '--credential', 'manual/audit/prod']);
    unkeyed = (await storedEvents(legacy)).length;
    await legacy.ok(['doctor', '--seal-rows', '--yes']);
    await legacy.ok(['token', 'create', 'later-app', '--kind', 'read', '--credential', 'manual/audit/prod']);
    await legacy.ok(['audit', 'checkpoint', '--out', checkpoints]);
    fresh = await createAttackInstall(dialect);
    await fresh.ok(['credential', 'add', 'manual/audit/prod', '--provider', 'manual', '--read-value'], 'sk-audit-bbbbbbbbbbbbbbbbbbbbbbbb\n');
  }, 90_000);
  afterAll(async () => {
    await legacy?.dispose();
    await fresh?.dispose();
  });

  it('the checkpoint catches a rewritten unkeyed prefix whose hashes were all recomputed', async () => {
    expect((await legacy.ok(['audit', 'verify', '--checkpoint', checkpoints])).stdout).toMatch(/chain intact; 1 signed checkpoint\(s\) up to event \d+ held/);
    await rehash(legacy, unkeyed);
    // From inside the database the rewrite is invisible: the chain and its head agree again.
    expect((await legacy.ok(['audit', 'verify'])).stdout).toMatch(new RegExp(`ok: ${unkeyed} audit events, chain intact`));
    const verify = await legacy.rekey(['audit', 'verify', '--checkpoint', checkpoints]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/does not hold .*checkpoints\.jsonl: history was cut: checkpoint 1 signed event \d+ .* the database has no event \d+/);
  });

  it('a forged checkpoint or a foreign public key is refused', async () => {
    const other = join(legacy.home, '..', 'forged.jsonl');
    const line = (await import('node:fs')).readFileSync(checkpoints, 'utf8').trim();
    const forged = { ...(JSON.parse(line) as Record<string, unknown>), seq: 2 };
    (await import('node:fs')).writeFileSync(other, JSON.stringify(forged) + '\n');
    const verify = await legacy.rekey(['audit', 'verify', '--checkpoint', other]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/checkpoint 1 \(event 2, .*\) is not signed by ed25519:/);
    const foreign = await legacy.rekey(['audit', 'verify', '--checkpoint', checkpoints, '--public-key', `ed25519:${'A'.repeat(43)}`]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/is not signed by ed25519:A{43}/);
  });

  it('on a sealed install every event is keyed: recomputing the hashes with SHA-256 fails verification', async () => {
    const before = (await storedEvents(fresh)).length;
    await rehash(fresh, before);
    const verify = await fresh.rekey(['audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/audit log broken at event 1: event 1 was modified: its content does not match its hash \(keyed: only the master key can compute it\)/);
  });
});
