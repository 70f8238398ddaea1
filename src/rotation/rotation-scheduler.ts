/**
 * `rekey scheduler`: a daemon loop. Each tick, if this worker is the scheduler leader (a
 * lease, so several servers on one PostgreSQL database run one scheduler), it resumes
 * rotations whose worker died (their lock expired mid-step) and starts every rotation
 * that is due by policy. Held and awaiting-value rotations wait for a person.
 */
import type { Clock } from '../core/clock.js';
import type { RotationStateName } from '../core/types.js';
import type { Store } from '../store/store.js';
import { silentLogger, type RotationLogger } from './rotation-deps.js';
import type { RotationExecutor } from './rotation-executor.js';
import { isTerminal } from './rotation-machine.js';
import { reasonOf } from './rotation-reason.js';
import { runDue, type DueRunResult } from './rotation-schedule.js';
import { leaseNameFor } from './rotation-session.js';

export const SCHEDULER_LEASE = 'scheduler';

export interface SchedulerTick {
  at: Date;
  leader: boolean;
  resumed: Array<{ rotationId: string; state: string | null; error: string | null }>;
  due: DueRunResult[];
  /** Versions the retention policy shredded on this tick (see vault/retention.ts). */
  shredded: Array<{ credential: string; version: number }>;
}

export interface SchedulerDeps {
  store: Pick<Store, 'listCredentials' | 'getVersionByStage' | 'listRotations' | 'getLease' | 'acquireLease' | 'releaseLease'>;
  executor: Pick<RotationExecutor, 'start' | 'resume'>;
  clock: Clock;
  workerId: string;
  logger?: RotationLogger | undefined;
  /** Applies the retention policy once per tick, after the rotations (the CLI wires vault/retention.ts). */
  applyRetention?: (() => Promise<{ items: Array<{ credential: string; version: number; shredded: boolean }> }>) | undefined;
}

export interface SchedulerOptions {
  intervalMs: number;
  actor: string;
  /** One tick, then return (cron-style). */
  once?: boolean | undefined;
  graceQuietSeconds?: number | undefined;
  graceMaxSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
  onTick?: ((tick: SchedulerTick) => void) | undefined;
  /** More work per tick, leader or not (the alert conditions and the outbox); its failure is logged, never fatal. */
  afterTick?: ((tick: SchedulerTick) => Promise<void>) | undefined;
}

const WAITING_FOR_A_PERSON: readonly RotationStateName[] = ['hold', 'awaiting-value'];

/** Rotations a dead worker left mid-step: active, not waiting for a person, lock free or expired. */
export async function findOrphanedRotations(store: SchedulerDeps['store'], now: Date): Promise<string[]> {
  const orphaned: string[] = [];
  for (const rotation of await store.listRotations({ active: true })) {
    if (WAITING_FOR_A_PERSON.includes(rotation.state) || isTerminal(rotation.state)) continue;
    const lease = await store.getLease(leaseNameFor(rotation.credentialId));
    if (lease === undefined || lease.expiresAt <= now) orphaned.push(rotation.id);
  }
  return orphaned;
}

export async function schedulerTick(deps: SchedulerDeps, options: SchedulerOptions): Promise<SchedulerTick> {
  const { store, clock, executor } = deps;
  const logger = deps.logger ?? silentLogger;
  const at = clock.now();
  const leader = await store.acquireLease(SCHEDULER_LEASE, deps.workerId, Math.max(options.intervalMs * 3, 30_000), at);
  const tick: SchedulerTick = { at, leader, resumed: [], due: [], shredded: [] };
  if (!leader) return tick;
  for (const rotationId of await findOrphanedRotations(store, at)) {
    try {
      const outcome = await executor.resume(rotationId, { actor: options.actor });
      tick.resumed.push({ rotationId, state: outcome.state, error: null });
      logger.info(`resumed rotation ${rotationId}: ${outcome.state}`);
    } catch (error) {
      tick.resumed.push({ rotationId, state: null, error: reasonOf(error) });
      logger.warn(`could not resume rotation ${rotationId}: ${reasonOf(error)}`);
    }
  }
  tick.due = await runDue({ store, executor, clock }, { actor: options.actor, graceQuietSeconds: options.graceQuietSeconds, graceMaxSeconds: options.graceMaxSeconds });
  for (const result of tick.due) {
    if (result.error !== null) logger.warn(`scheduled rotation of ${result.credential}: ${result.error}`);
  }
  if (deps.applyRetention !== undefined) {
    try {
      const run = await deps.applyRetention();
      tick.shredded = run.items.filter((item) => item.shredded).map(({ credential, version }) => ({ credential, version }));
      for (const item of tick.shredded) logger.info(`retention: shredded ${item.credential} v${item.version}`);
    } catch (error) {
      logger.warn(`retention policy: ${reasonOf(error)}`);
    }
  }
  return tick;
}

export async function runScheduler(deps: SchedulerDeps, options: SchedulerOptions): Promise<SchedulerTick[]> {
  const ticks: SchedulerTick[] = [];
  try {
    while (options.signal?.aborted !== true) {
      const tick = await schedulerTick(deps, options);
      ticks.push(tick);
      options.onTick?.(tick);
      if (options.afterTick !== undefined) {
        try {
          await options.afterTick(tick);
        } catch (error) {
          (deps.logger ?? silentLogger).warn(`alerts: ${reasonOf(error)}`);
        }
      }
      if (options.once === true) break;
      await sleepUnlessAborted(deps.clock, options.intervalMs, options.signal);
    }
  } finally {
    await deps.store.releaseLease(SCHEDULER_LEASE, deps.workerId).catch(() => undefined);
  }
  return ticks;
}

async function sleepUnlessAborted(clock: Clock, milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return clock.sleep(milliseconds);
  if (signal.aborted) return;
  await Promise.race([clock.sleep(milliseconds), new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
}
