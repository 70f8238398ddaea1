import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/core/types.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { findOrphanedRotations, runScheduler, schedulerTick } from '../../src/rotation/rotation-scheduler.js';
import type { Store } from '../../src/store/store.js';
import { createRotationFixture, type RotationFixture } from './rotation-fixture.js';

const DAY = 86_400_000;

describe('rotation scheduler', () => {
  let fixture: RotationFixture;
  afterEach(async () => {
    await fixture.close();
  });

  /** A worker that dies as it is about to deliver (its journal write never returns). */
  async function crashMidRotation(): Promise<string> {
    let dead = false;
    const dying = new Proxy(fixture.store, {
      get(target, property, receiver) {
        if (property === 'appendJournal') {
          return (entry: Omit<JournalEntry, 'seq'>) => {
            if (entry.step !== 'deliver') return target.appendJournal(entry);
            dead = true;
            return new Promise(() => undefined);
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    }) as Store;
    const doomed = createRotationExecutor({ ...fixture.deps('doomed'), store: dying });
    void doomed.start({ credential: 'openai/ticketing/dev', actor: 'cli:test', graceQuietSeconds: 5 }).catch(() => undefined);
    for (let attempt = 0; attempt < 500 && !dead; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const [rotation] = await fixture.store.listRotations({});
    if (!dead || rotation === undefined) throw new Error('the doomed worker never reached deliver');
    return rotation.id;
  }

  it('resumes a rotation whose worker died once its lock has expired, and rotates what is due', async () => {
    fixture = await createRotationFixture({ settings: { backgroundLeaseRenewal: false } });
    const crashed = await crashMidRotation();
    const deps = { store: fixture.store, executor: fixture.executor, clock: fixture.clock, workerId: 'scheduler-1' };

    // The dead worker's lock is still valid: not an orphan yet.
    expect(await findOrphanedRotations(fixture.store, fixture.clock.now())).toEqual([]);
    fixture.clock.advance(31_000);
    expect(await findOrphanedRotations(fixture.store, fixture.clock.now())).toEqual([crashed]);

    const [tick] = await runScheduler(deps, { intervalMs: 60_000, actor: 'scheduler', once: true });
    expect(tick?.leader).toBe(true);
    expect(tick?.resumed).toEqual([{ rotationId: crashed, state: 'done', error: null }]);
    expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'current' });

    await fixture.store.updateCredential('openai/ticketing/dev', { policy: { rotateEveryDays: 7, graceQuietSeconds: 5 } });
    fixture.clock.advance(8 * DAY);
    const [later] = await runScheduler(deps, { intervalMs: 60_000, actor: 'scheduler', once: true });
    expect(later?.resumed).toEqual([]);
    expect(later?.due.map((result) => [result.credential, result.outcome?.state])).toEqual([['openai/ticketing/dev', 'done']]);
    expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'revoked', 3: 'current' });
  });

  it('leaves held rotations to a person and runs one leader at a time', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test', graceQuietSeconds: 5, graceMaxSeconds: 30 });
    expect(held.state).toBe('hold');
    fixture.clock.advance(60_000);
    expect(await findOrphanedRotations(fixture.store, fixture.clock.now())).toEqual([]);

    const first = await schedulerTick({ store: fixture.store, executor: fixture.executor, clock: fixture.clock, workerId: 'one' }, { intervalMs: 10_000, actor: 'scheduler' });
    const second = await schedulerTick({ store: fixture.store, executor: fixture.executor, clock: fixture.clock, workerId: 'two' }, { intervalMs: 10_000, actor: 'scheduler' });
    expect([first.leader, second.leader]).toEqual([true, false]);
  });

  it('stops when aborted', async () => {
    fixture = await createRotationFixture();
    const controller = new AbortController();
    const ticks = await runScheduler(
      { store: fixture.store, executor: fixture.executor, clock: fixture.clock, workerId: 'one' },
      { intervalMs: 1_000, actor: 'scheduler', signal: controller.signal, onTick: (tick) => (tick.at.getTime() > 0 && controller.abort()) },
    );
    expect(ticks).toHaveLength(1);
    expect(await fixture.store.getLease('scheduler')).toBeUndefined();
  });
});
