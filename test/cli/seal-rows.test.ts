/**
 * The upgrade path of issue 11's row MACs: an install from before them (made as the old
 * `rekey init` made it: no integrity root, an unkeyed audit chain) is reported unsealed by
 * `rekey doctor`; `rekey doctor --seal-rows --yes` seals its rows as they are, keys the
 * audit chain from the next event on (the old unkeyed events still verify), and from then on
 * a row inserted by SQL is refused. A root deleted later, while rows carry MACs, is refused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACK_DIALECTS, createAttackInstall, type AttackInstall } from '../attacks/attack-install.js';

const NAME = 'manual/legacy/prod';

describe.each(ATTACK_DIALECTS)('rekey doctor --seal-rows [%s]', (dialect) => {
  let install: AttackInstall;

  beforeAll(async () => {
    install = await createAttackInstall(dialect, { legacy: true });
    await install.ok(['credential', 'add', NAME, '--provider', 'manual', '--read-value'], `sk-legacy-${randomBytes(12).toString('hex')}\n`);
    await install.ok(['token', 'create', 'legacy-app', '--kind', 'read', '--credential', NAME]);
    await install.ok(['consumer', 'add', NAME, 'legacy-env', '--path', `${install.home}/legacy.env`, '--var', 'LEGACY_KEY']);
    await install.ok(['role', 'add', 'rotator', '--capability', 'rotate']);
  }, 60_000);
  afterAll(async () => {
    await install?.dispose();
  });

  it('doctor says the rows are not sealed; --seal-rows lists what it trusts, seals it, and doctor is clean', async () => {
    const before = await install.rekey(['doctor']);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/row integrity\s+rows carry no MACs yet.*rekey doctor --seal-rows/);
    const sealed = await install.rekey(['doctor', '--seal-rows', '--yes']);
    expect(sealed.stdout).toMatch(/live tokens \(1\): read:legacy-app/);
    expect(sealed.stdout).toMatch(/manual\/legacy\/prod legacy-env \[env-file\]/);
    expect(sealed.stdout).toMatch(/sealed \d+ rows; audit events from \d+ on are keyed/);
    expect(sealed.stdout).toMatch(/audit checkpoint public key: ed25519:[A-Za-z0-9_-]{43}/);
    const after = await install.rekey(['doctor']);
    expect(after.stdout).toMatch(/row integrity\s+sealed since/);
    expect(after.stdout).toMatch(/audit chain\s+\d+ events intact/);
    const events = JSON.parse((await install.ok(['audit', 'list', '--json'])).stdout) as Array<{ event: string }>;
    expect(events.at(-1)?.event).toBe('integrity-seal');
    // Sealed rows still work, and a second seal changes nothing.
    expect(JSON.parse((await install.ok(['token', 'list', '--json'])).stdout)).toHaveLength(1);
    expect((await install.ok(['doctor', '--seal-rows', '--yes'])).stdout).toMatch(/already sealed since/);
  });

  it('a root deleted while rows carry MACs is refused, not silently re-sealed', async () => {
    await install.sql("DELETE FROM settings WHERE key = 'integrity.root'");
    const listing = await install.rekey(['token', 'list']);
    expect(listing.code).toBe(1);
    expect(listing.stderr).toMatch(/integrity\.root setting is missing but rows carry MACs/);
    expect((await install.rekey(['doctor', '--seal-rows', '--yes'])).code).toBe(1);
  });
});
