/**
 * Crash safety in-process: a worker "dies" (its call never returns, its lease is no
 * longer renewed) at a chosen point; a second worker resumes from the journal. The real
 * SIGKILL harness (issue 4 §6) runs separate processes; these tests pin the logic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import type { JournalEntry } from '../../src/core/types.js';
import type { RotationDeps } from '../../src/rotation/rotation-deps.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import type { RotationPatch, Store } from '../../src/store/store.js';
import { createRotationFixture, type RotationFixture } from './rotation-fixture.js';

const actor = 'cli:test';
const hang = () => new Promise<never>(() => undefined);

/** A store whose chosen call never returns: the worker using it is as good as killed. */
function dyingStore(
  store: Store,
  when: { updateRotation?: (patch: RotationPatch) => boolean; appendJournal?: (entry: Omit<JournalEntry, 'seq'>) => boolean },
): Store & { dead(): boolean } {
  let died = false;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'dead') return () => died;
      if (property === 'updateRotation' && when.updateRotation) {
        return (id: string, revision: number, patch: RotationPatch) =>
          died || when.updateRotation?.(patch) ? ((died = true), hang()) : target.updateRotation(id, revision, patch);
      }
      if (property === 'appendJournal' && when.appendJournal) {
        return (entry: Omit<JournalEntry, 'seq'>) => (died || when.appendJournal?.(entry) ? ((died = true), hang()) : target.appendJournal(entry));
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  }) as Store & { dead(): boolean };
}

describe('rotation resume after a crash', () => {
  let fixture: RotationFixture;
  afterEach(async () => {
    await fixture.close();
  });

  const noRenew = { backgroundLeaseRenewal: false };

  function workers(storeForA: Store = fixture.store) {
    const depsA: RotationDeps = { ...fixture.deps('worker-a'), store: storeForA };
    const depsB: RotationDeps = fixture.deps('worker-b');
    return { a: createRotationExecutor(depsA), b: createRotationExecutor(depsB) };
  }

  /** Start a rotation on a worker that will die, and wait until it has (its hook fired). */
  async function startAndDie(executor: ReturnType<typeof createRotationExecutor>, dead: () => boolean): Promise<string> {
    void executor.start({ credential: 'openai/ticketing/dev', actor, graceQuietSeconds: 5 }).catch(() => undefined);
    for (let attempt = 0; attempt < 1000 && !dead(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const [rotation] = await fixture.store.listRotations({});
    if (!dead() || rotation === undefined) throw new Error('the worker never reached its crash point');
    return rotation.id;
  }

  /** The fake provider's hang-after-mint knob switches itself off when it fires. */
  const mintHung = () => fixture.fake.calls.includes('mint') && !fixture.fake.knobs.hangAfterMint;

  async function expectSafeEnd(rotationId: string) {
    const outcome = await createRotationExecutor(fixture.deps('worker-b')).resume(rotationId);
    expect(outcome.state).toBe('done');
    expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'current' });
    expect(await fixture.orphans()).toEqual([]);
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    const current = await fixture.vault.reveal(fixture.credential, 2);
    expect(fixture.fake.isLive(current.reveal())).toBe(true);
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBe(current.reveal());
    return outcome;
  }

  it('killed inside the mint call: the resumed worker revokes the half-minted key and mints again', async () => {
    fixture = await createRotationFixture({ settings: noRenew });
    fixture.fake.knobs.hangAfterMint = true;
    const rotationId = await startAndDie(workers().a, mintHung);
    expect(fixture.fake.keys).toHaveLength(2);
    expect(await fixture.orphans()).toHaveLength(1);

    await expectSafeEnd(rotationId);
    expect(fixture.fake.calls.filter((call) => call === 'mint')).toHaveLength(2);
    expect(fixture.audit.events.find((event) => event.detail['orphan'] === true)).toMatchObject({ event: 'key-revoke' });
  });

  it('killed after mint was journaled but before the transition was saved: the outcome is replayed, not minted twice', async () => {
    fixture = await createRotationFixture({ settings: noRenew });
    const store = dyingStore(fixture.store, { updateRotation: (patch) => patch.state === 'test' });
    const rotationId = await startAndDie(workers(store).a, store.dead);
    expect((await fixture.store.getRotation(rotationId))?.state).toBe('mint');

    await expectSafeEnd(rotationId);
    expect(fixture.fake.calls.filter((call) => call === 'mint')).toHaveLength(1);
    expect(fixture.audit.events.find((event) => event.event === 'rotation-resume')?.detail).toMatchObject({ from: 'mint', replay: true });
  });

  it('killed after delivering but before journaling it: delivery runs again (idempotent)', async () => {
    fixture = await createRotationFixture({ settings: noRenew });
    const store = dyingStore(fixture.store, { appendJournal: (entry) => entry.step === 'deliver' && entry.phase === 'end' });
    const rotationId = await startAndDie(workers(store).a, store.dead);
    expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'pending' });

    await expectSafeEnd(rotationId);
    expect(fixture.audit.events.find((event) => event.event === 'rotation-resume')?.detail).toMatchObject({ from: 'deliver', reconcile: true });
  });

  it('killed after promote but before saving it: exactly one current throughout, resume carries on', async () => {
    fixture = await createRotationFixture({ settings: noRenew });
    const store = dyingStore(fixture.store, { updateRotation: (patch) => patch.state === 'grace' });
    const rotationId = await startAndDie(workers(store).a, store.dead);
    expect(await fixture.stages()).toEqual({ 1: 'previous', 2: 'current' });
    await expectSafeEnd(rotationId);
  });

  it('killed during grace: the grace keeps its start and the old key is revoked only after the quiet window', async () => {
    fixture = await createRotationFixture({ settings: noRenew });
    const store = dyingStore(fixture.store, { appendJournal: (entry) => entry.step === 'watch-grace' && entry.phase === 'end' });
    const rotationId = await startAndDie(workers(store).a, store.dead);
    const before = await fixture.store.getRotation(rotationId);
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(true);
    const outcome = await expectSafeEnd(rotationId);
    expect(outcome.data.graceStartedAt).toBe((before?.data as { graceStartedAt?: string }).graceStartedAt);
  });

  it('a live holder keeps its lock: another worker cannot resume until it expires', async () => {
    fixture = await createRotationFixture({ settings: { ...noRenew, leaseWaitMs: 0 } });
    fixture.fake.knobs.hangAfterMint = true;
    const rotationId = await startAndDie(workers().a, mintHung);
    const error = await createRotationExecutor(fixture.deps('worker-b')).resume(rotationId).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).hint).toContain('worker-a');
    await expect(workers().b.start({ credential: 'openai/ticketing/dev', actor })).rejects.toThrow(/running in another process/);
  });

  it('a crashed rotation can be aborted instead: the pending key is discarded and revoked, sinks get the old key back', async () => {
    fixture = await createRotationFixture({ settings: noRenew });
    const store = dyingStore(fixture.store, { appendJournal: (entry) => entry.step === 'deliver' && entry.phase === 'end' });
    const rotationId = await startAndDie(workers(store).a, store.dead);
    expect(await fixture.envVariable('OPENAI_API_KEY')).not.toBe(fixture.firstValue.reveal());

    const outcome = await createRotationExecutor(fixture.deps('worker-b')).decide(rotationId, 'abort', 'cli:alice');
    expect(outcome.state).toBe('rolled-back');
    expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'discarded' });
    expect(await fixture.envVariable('OPENAI_API_KEY')).toBe(fixture.firstValue.reveal());
    expect(await fixture.envVariable('OPENAI_API_KEY_V2')).toBeUndefined();
    expect(fixture.fake.liveKeys().map((key) => key.value)).toEqual([fixture.firstValue.reveal()]);
  });
});
