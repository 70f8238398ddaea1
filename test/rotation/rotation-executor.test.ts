import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, UsageError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { createRotationFixture, type RotationFixture } from './rotation-fixture.js';

const actor = 'cli:test';

describe('rotation executor', () => {
  let fixture: RotationFixture;
  afterEach(async () => {
    await fixture.close();
  });

  async function currentValue(): Promise<SecretValue> {
    const current = await fixture.store.getVersionByStage(fixture.credential.id, 'current');
    if (current === undefined) throw new Error('no current version');
    return fixture.vault.reveal(fixture.credential, current.number);
  }

  it('rotates end to end: new key everywhere and proven, old key revoked only after a quiet grace', async () => {
    fixture = await createRotationFixture();
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 10, graceMaxSeconds: 600 });

    expect(outcome.state).toBe('done');
    expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'current' });
    const next = await currentValue();
    fixture.plantedValues.push(next);
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    expect(fixture.fake.isLive(next.reveal())).toBe(true);
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBe(next.reveal());
    expect(await fixture.envVariable('OPENAI_API_KEY_V2')).toBe(next.reveal());
    expect(await fixture.envVariable('OPENAI_API_KEY_V1')).toBeUndefined();
    expect(await fixture.orphans()).toEqual([]);
    expect(fixture.fake.replacing).toEqual([{ providerKeyId: 'key_1', providerData: {} }]);

    expect(fixture.audit.names()).toEqual([
      'rotation-start',
      'key-mint',
      'key-test',
      'sink-write',
      'version-promote',
      'grace-end',
      'key-revoke',
      'rotation-end',
    ]);
    const journal = await fixture.store.listJournal(outcome.rotationId);
    expect(journal.map((entry) => `${entry.step}:${entry.phase}`)).toEqual(
      ['acquire-lock', 'mint', 'test', 'deliver', 'promote', 'watch-grace', 'revoke-old', 'finish'].flatMap((step) => [`${step}:begin`, `${step}:end`]),
    );
    // The old key was never revoked before the new one was promoted and the grace ended.
    const order = fixture.audit.names();
    expect(order.indexOf('key-revoke')).toBeGreaterThan(order.indexOf('grace-end'));
    expect(outcome.data.graceStartedAt).toBeDefined();

    const persisted = await fixture.persistedText();
    for (const value of fixture.plantedValues) expect(persisted).not.toContain(value.reveal());
  });

  it("keeps the provider's ids on the version it mints, and the next rotation replaces that version with them", async () => {
    fixture = await createRotationFixture();
    const first = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect((await fixture.store.getVersion(fixture.credential.id, 2))?.providerData).toEqual({ serviceAccountId: 'sa_key_2' });
    expect(first.state).toBe('done');
    const second = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(second.state).toBe('done');
    expect(second.data.oldKey).toEqual({ providerKeyId: 'key_2', providerData: { serviceAccountId: 'sa_key_2' }, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fixture.fake.replacing).toEqual([
      { providerKeyId: 'key_1', providerData: {} },
      { providerKeyId: 'key_2', providerData: { serviceAccountId: 'sa_key_2' } },
    ]);
  });

  it('identifies a hand-imported old key at the provider by its redacted value, watches and revokes it', async () => {
    fixture = await createRotationFixture({ importedWithoutKeyId: true });
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 10, graceMaxSeconds: 60 });
    // Its traffic is visible only because the key was identified.
    expect(held.state).toBe('hold');
    expect(held.data.oldKey?.providerKeyId).toBe('key_1');
    expect(fixture.audit.names()).toContain('key-identify');
    fixture.fake.knobs.trafficOnUsagePoll = false;
    expect((await fixture.executor.resume(held.rotationId)).state).toBe('done');
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
  });

  it('an old key the provider cannot identify is never taken as quiet', async () => {
    fixture = await createRotationFixture({ importedWithoutKeyId: true });
    const key = fixture.fake.keys[0];
    if (key) key.value = `${key.value}-renamed`;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 10, graceMaxSeconds: 60 });
    expect(held.state).toBe('hold');
    expect(held.hold?.holders).toEqual(['provider:openai (unreadable)']);
    expect(held.record.error).toContain('the old key is not identified at the provider');
  });

  it('never revokes a version that became current again outside the rotation, and refuses hand changes while it runs', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 10, graceMaxSeconds: 30 });
    expect(held.state).toBe('hold');
    const { promoteCredential, rollbackCredential } = await import('../../src/vault/credential-service.js');
    const deps = { store: fixture.store, audit: fixture.audit, actor };
    await expect(rollbackCredential(deps, 'openai/ticketing/dev')).rejects.toThrow(ConflictError);
    await expect(promoteCredential(deps, 'openai/ticketing/dev', {})).rejects.toThrow(/rotation .* is in progress/);
    expect(await fixture.stages()).toEqual({ 1: 'previous', 2: 'current' });

    // A client that skips the check (or a race) rolls back under the rotation's feet.
    await fixture.store.rollback(fixture.credential.id, { expectedCurrent: 2 });
    fixture.fake.knobs.trafficOnUsagePoll = false;
    const resumed = await fixture.executor.resume(held.rotationId);
    expect(resumed.state).toBe('hold');
    expect(resumed.record.error).toMatch(/version 1 is current now .*refusing to revoke it/);
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(true);
  });

  it('revokes a key the provider created when the mint call still failed, so no orphan is left', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.mintFailsAfterCreating = true;
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(outcome.state).toBe('failed');
    expect(fixture.fake.keys.filter((key) => key.name?.startsWith('rekey-'))).toHaveLength(1);
    expect(await fixture.orphans()).toEqual([]);
    expect(fixture.audit.names()).toContain('key-revoke');
    expect(await fixture.stages()).toEqual({ 1: 'current' });
  });

  it('asks again when a new key first reads as another project (not yet listed), and rolls back one that stays foreign', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.wrongScopeAnswers = 2;
    const lagging = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(lagging.state).toBe('done');
    await fixture.close();

    fixture = await createRotationFixture();
    fixture.fake.knobs.wrongScope = true;
    const foreign = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    // Like a key that fails its test: discarded and revoked, the rotation ended as failed.
    expect(foreign.state).toBe('failed');
    expect(foreign.failure).toMatch(/belongs to another organisation or project/);
    expect(foreign.record.finishedAt).not.toBeNull();
    expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'discarded' });
    expect(fixture.fake.liveKeys().map((key) => key.value)).toEqual([fixture.firstValue.reveal()]);
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBeUndefined();
    expect(await fixture.orphans()).toEqual([]);
  });

  it('runs a reload action after delivery, with the key in its environment', async () => {
    fixture = await createRotationFixture({
      reload: { kind: 'exec', command: [process.execPath, '-e', 'process.exit(process.env.REKEY_KEY && process.env.REKEY_KEY.startsWith("sk-proj-fake") ? 0 : 9)'] },
    });
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(outcome.state).toBe('done');
    expect(outcome.data.deliveries).toEqual([{ consumer: 'ticketing-env', sink: `env file ${fixture.envPath} (OPENAI_API_KEY)`, verified: 'match', reloaded: true }]);
  });

  it('reloads an app once, only after every consumer feeding it has the new key', async () => {
    fixture = await createRotationFixture({ consumer: false });
    const counter = join(fixture.directory, 'reloads.log');
    const reload = { kind: 'exec', command: [process.execPath, '-e', `require('node:fs').appendFileSync(${JSON.stringify(counter)}, 'x')`], app: 'ticketing' };
    for (const name of ['env-a', 'env-b']) {
      await fixture.store.addConsumer({ credentialId: fixture.credential.id, name, kind: 'env-file', config: { path: join(fixture.directory, `${name}.env`), name: 'K' }, reload });
    }
    const broken = { path: join(fixture.directory, 'missing', '.env'), name: 'K' };
    await fixture.store.addConsumer({ credentialId: fixture.credential.id, name: 'env-c', kind: 'env-file', config: broken, reload: { app: 'ticketing' } });

    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(held.state).toBe('hold');
    expect(held.hold?.holders).toEqual(['env-c']);
    await expect(readFile(counter, 'utf8')).rejects.toThrow();

    await mkdir(join(fixture.directory, 'missing'));
    const done = await fixture.executor.resume(held.rotationId);
    expect(done.state).toBe('done');
    expect(await readFile(counter, 'utf8')).toBe('x');
    expect(done.data.deliveries?.map((delivery) => [delivery.consumer, delivery.reloaded])).toEqual([
      ['env-a', true],
      ['env-b', true],
      ['env-c', true],
    ]);
    expect(fixture.audit.names().filter((name) => name === 'app-reload')).toHaveLength(1);
  });

  it('holds past the maximum grace while the old key is still used, naming the source; a person can end the grace', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 30, graceMaxSeconds: 300 });
    expect(held.state).toBe('hold');
    expect(held.hold?.resumeTo).toBe('grace');
    expect(held.hold?.holders.join(' ')).toContain('provider:openai');
    expect(held.record.error).toContain('still in use after the maximum grace of 300s');
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(true);
    expect(await fixture.stages()).toEqual({ 1: 'previous', 2: 'current' });
    expect(fixture.audit.names()).toContain('rotation-hold');
    expect(fixture.audit.names()).not.toContain('key-revoke');
    // The lock is released while held.
    expect(await fixture.store.getLease(`rotation:${fixture.credential.id}`)).toBeUndefined();

    // The app switched: resuming watches again and ends on quiet.
    fixture.fake.knobs.trafficOnUsagePoll = false;
    const resumed = await fixture.executor.resume(held.rotationId, { actor });
    expect(resumed.state).toBe('done');
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
  });

  it('end-grace overrides a hold and revokes', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 30, graceMaxSeconds: 60 });
    const ended = await fixture.executor.decide(held.rotationId, 'end-grace', 'cli:alice');
    expect(ended.state).toBe('done');
    expect(fixture.audit.events.find((event) => event.event === 'rotation-decision')).toMatchObject({ actor: 'cli:alice', detail: { decision: 'end-grace' } });
  });

  it('a grace with unreadable usage never ends on its own', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.usageFailures = 1_000;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 5, graceMaxSeconds: 60 });
    expect(held.state).toBe('hold');
    expect(held.hold?.holders).toEqual(['provider:openai (unreadable)']);
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(true);
  });

  it('a failed sink holds the rotation before promote, old key untouched; resume delivers once fixed', async () => {
    fixture = await createRotationFixture({ consumer: false });
    const missingDirectory = join(fixture.directory, 'not-yet');
    await fixture.store.addConsumer({
      credentialId: fixture.credential.id,
      name: 'late-env',
      kind: 'env-file',
      config: { path: join(missingDirectory, '.env'), name: 'OPENAI_API_KEY' },
      reload: null,
    });
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(held.state).toBe('hold');
    expect(held.hold).toMatchObject({ resumeTo: 'deliver', holders: ['late-env'] });
    expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'pending' });
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(true);
    expect(fixture.audit.names()).toContain('sink-write-error');

    await mkdir(missingDirectory);
    const done = await fixture.executor.resume(held.rotationId);
    expect(done.state).toBe('done');
    expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'current' });
  });

  it('a new key that fails its test is discarded and revoked; the rotation fails with the old key current', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.refuseModels = ['gpt-4o-mini'];
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor });
    expect(outcome.state).toBe('failed');
    expect(outcome.failure).toContain('model(s) refused: gpt-4o-mini (HTTP 404)');
    expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'discarded' });
    expect(fixture.fake.liveKeys().map((key) => key.value)).toEqual([fixture.firstValue.reveal()]);
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBeUndefined();
    expect(outcome.record.finishedAt).not.toBeNull();
  });

  it('waits out an activation delay instead of failing', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.activationAttempts = 3;
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(outcome.state).toBe('done');
  });

  it('rolls back after promote: current moves back, sinks get the old key again, the new key is revoked', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 30, graceMaxSeconds: 60 });
    expect(await fixture.envVariable('OPENAI_API_KEY')).not.toBe(fixture.firstValue.reveal());
    const rolled = await fixture.executor.decide(held.rotationId, 'rollback', 'cli:alice');
    expect(rolled.state).toBe('rolled-back');
    expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'discarded' });
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBe(fixture.firstValue.reveal());
    expect(await fixture.envVariable('OPENAI_API_KEY_V2')).toBeUndefined();
    expect(fixture.fake.liveKeys().map((key) => key.value)).toEqual([fixture.firstValue.reveal()]);
    await expect(fixture.executor.decide(held.rotationId, 'rollback', actor)).rejects.toBeInstanceOf(ConflictError);
  });

  it('emergency (mint first): no grace, the old key dies even while still used', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, emergency: true });
    expect(outcome.state).toBe('done');
    expect(outcome.record.kind).toBe('emergency');
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    expect(fixture.audit.names()).not.toContain('grace-end');
    expect(outcome.data.oldKeyDeadAt).toBeDefined();
  });

  it('emergency: when delivery fails the leaked key is still revoked, then the rotation holds', async () => {
    fixture = await createRotationFixture({ consumer: false });
    await fixture.store.addConsumer({
      credentialId: fixture.credential.id,
      name: 'broken',
      kind: 'env-file',
      config: { path: join(fixture.directory, 'missing', '.env'), name: 'K' },
      reload: null,
    });
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, emergency: true });
    expect(outcome.state).toBe('hold');
    expect(outcome.hold?.resumeTo).toBe('deliver');
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    await expect(fixture.executor.decide(outcome.rotationId, 'rollback', actor)).rejects.toThrow(/not allowed/);
  });

  it('emergency: a provider that does not answer within the budget does not delay the revoke', async () => {
    fixture = await createRotationFixture({ settings: { emergencyBudgetMs: 200 } });
    fixture.fake.knobs.mintUnresponsive = true;
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, emergency: true });
    expect(outcome.state).toBe('hold');
    expect(outcome.hold?.resumeTo).toBe('mint');
    expect(outcome.failure).toMatch(/mint failed/);
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    // The leaked key is dead: the resumed mint has all the time it needs.
    fixture.fake.knobs.mintUnresponsive = false;
    fixture.fake.knobs.activationAttempts = 2;
    expect((await fixture.executor.resume(outcome.rotationId)).state).toBe('done');
  });

  it('emergency (revoke first) kills the leaked key before minting', async () => {
    fixture = await createRotationFixture();
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, emergency: true, emergencyPath: 'revoke-first' });
    expect(outcome.state).toBe('done');
    const names = fixture.audit.names();
    expect(names.indexOf('key-revoke')).toBeLessThan(names.indexOf('key-mint'));
  });

  it('a provider that cannot mint by API pauses for a person, then continues with the value supplied', async () => {
    fixture = await createRotationFixture({ mint: 'human' });
    const paused = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(paused.state).toBe('awaiting-value');
    expect(fixture.audit.names()).toContain('rotation-awaiting-value');
    const stillPaused = await fixture.executor.resume(paused.rotationId);
    expect(stillPaused.state).toBe('awaiting-value');
    await expect(fixture.executor.resume(paused.rotationId, { suppliedValue: fixture.firstValue })).resolves.toMatchObject({ state: 'failed' });

    fixture = await createRotationFixture({ mint: 'human' });
    const again = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    const supplied = new SecretValue('sk-proj-typedByAPerson000000000000000000000001');
    fixture.plantedValues.push(supplied);
    const done = await fixture.executor.resume(again.rotationId, { suppliedValue: supplied });
    expect(done.state).toBe('done');
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBe(supplied.reveal());
    const persisted = await fixture.persistedText();
    expect(persisted).not.toContain(supplied.reveal());
  });

  it('a provider whose keys a person revokes holds at revoke until the key is dead', async () => {
    fixture = await createRotationFixture({ revoke: 'human' });
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 1 });
    expect(held.state).toBe('hold');
    expect(held.hold?.resumeTo).toBe('revoke');
    expect(held.record.error).toMatch(/revoked by a person/);
    const key = fixture.fake.keys.find((candidate) => candidate.value === fixture.firstValue.reveal());
    if (key) key.live = false;
    expect((await fixture.executor.resume(held.rotationId)).state).toBe('done');
  });

  it('lets only one of two concurrent starts in the same process run', async () => {
    fixture = await createRotationFixture({ mint: 'human' });
    const results = await Promise.allSettled([
      fixture.executor.start({ credential: 'openai/ticketing/dev', actor }),
      fixture.executor.start({ credential: 'openai/ticketing/dev', actor }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await fixture.store.listRotations({})).toHaveLength(1);
  });

  it('refuses a second rotation while one is active, and a drill on production', async () => {
    fixture = await createRotationFixture({ mint: 'human' });
    await fixture.executor.start({ credential: 'openai/ticketing/dev', actor });
    await expect(fixture.executor.start({ credential: 'openai/ticketing/dev', actor })).rejects.toThrow(/still active \(awaiting-value\)/);
    await fixture.close();
    fixture = await createRotationFixture({ environment: 'production' });
    await expect(fixture.executor.start({ credential: 'openai/ticketing/dev', actor, kind: 'drill' })).rejects.toBeInstanceOf(UsageError);
  });

  it('a drill reports forgotten consumers (traffic on the old key the consumer list does not explain)', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const outcome = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor, kind: 'drill', graceQuietSeconds: 10, graceMaxSeconds: 30 });
    expect(outcome.state).toBe('hold');
    expect(outcome.data.forgottenConsumers).toEqual(['unattributed traffic seen by provider:openai']);
  });

  it('plans a dry run without touching anything', async () => {
    fixture = await createRotationFixture();
    const plan = await fixture.executor.plan({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 600 });
    expect(plan).toMatchObject({ credential: 'openai/ticketing/dev', nextVersion: 2, problems: [], current: { version: 1 } });
    expect(plan.steps).toContain('grace (quiet 600s, max 86400s)');
    expect(plan.consumers[0]?.diff).toEqual([`--- ${fixture.envPath}`, `+++ ${fixture.envPath}`, '+ OPENAI_API_KEY=rekey-…-key', '+ OPENAI_API_KEY_V2=rekey-…-key']);
    expect(await fixture.store.listRotations({})).toEqual([]);
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBeUndefined();
    expect(fixture.fake.calls).toEqual([]);
  });
});
