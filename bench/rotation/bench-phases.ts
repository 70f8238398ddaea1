/**
 * Time per phase of one rotation: N rotations of one credential, one after another,
 * each phase timed from the executor's progress events (`begin` … `end` of each step,
 * which include the step's journal `end` write) with the high-resolution clock. Provider
 * calls are attributed to the phase that was running when they left (possible only
 * because the rotations run one at a time).
 */
import { performance } from 'node:perf_hooks';
import type { RotationProgress } from '../../src/rotation/rotation-deps.js';
import { openBenchWorld } from './bench-world.js';
import { summarize, type Summary } from './bench-stats.js';

/** Engine step names → the phase names of DESIGN.md §3. */
const PHASES: Record<string, string> = {
  'acquire-lock': 'lock',
  mint: 'mint',
  test: 'test',
  deliver: 'deliver',
  promote: 'promote',
  'watch-grace': 'grace',
  'revoke-old': 'revoke',
  finish: 'finish',
};
export const PHASE_ORDER = ['start', 'lock', 'mint', 'test', 'deliver', 'promote', 'grace', 'revoke', 'finish', 'between steps'] as const;

export interface PhaseSettings {
  rotations: number;
  graceQuietSeconds: number;
  graceMaxSeconds: number;
  knobs: { latencyMs: number; activationDelayMs: number; revocationDelayMs: number; rate429: number };
  gracePollMinMs: number;
}

export interface PhaseResults {
  settings: PhaseSettings;
  /** Milliseconds per phase; `start` is lease + checks + rotation record before the lock step, `between steps` the transition writes. */
  phasesMs: Record<string, Summary>;
  totalMs: Summary;
  states: Record<string, number>;
  /** Provider HTTP requests per rotation, by phase (mean over the runs). */
  /** Store method calls per rotation (engine, vault, audit), and how many of them write. */
  storeCallsPerRotation: { total: number; writes: number; writesByPhase: Record<string, number>; byMethod: Record<string, number> };
  providerCallsPerRotation: { total: number; byPhase: Record<string, number>; byRoute: Record<string, number> };
}

export async function benchPhases(settings: PhaseSettings): Promise<PhaseResults> {
  let running: { marks: Map<string, number>; durations: Record<string, number> } | undefined;
  let phase = 'start';
  const callsByPhase: Record<string, number> = {};
  const writesByPhase: Record<string, number> = {};
  const onProgress = (progress: RotationProgress) => {
    const name = PHASES[progress.step];
    if (running === undefined || name === undefined) return;
    if (progress.phase === 'begin') {
      running.marks.set(name, performance.now());
      phase = name;
    } else if (progress.phase === 'end') {
      const began = running.marks.get(name);
      if (began !== undefined) running.durations[name] = (running.durations[name] ?? 0) + (performance.now() - began);
      phase = 'between steps';
    }
  };
  const world = await openBenchWorld({
    knobs: settings.knobs,
    settings: { gracePollMinMs: settings.gracePollMinMs },
    onProgress,
    onRequest: () => {
      callsByPhase[phase] = (callsByPhase[phase] ?? 0) + 1;
    },
    onStoreCall: (_method, writes) => {
      if (writes) writesByPhase[phase] = (writesByPhase[phase] ?? 0) + 1;
    },
  });
  try {
    const [seeded] = await world.seedCredentials(1, 'phases');
    if (seeded === undefined) throw new Error('seeding failed');
    world.resetCounters();
    for (const name of Object.keys(writesByPhase)) delete writesByPhase[name];
    const samples: Array<Record<string, number>> = [];
    const totals: number[] = [];
    const states: Record<string, number> = {};
    for (let run = 0; run < settings.rotations; run += 1) {
      running = { marks: new Map(), durations: {} };
      phase = 'start';
      const started = performance.now();
      const outcome = await world.executor.start({
        credential: seeded.credential.name,
        actor: 'bench',
        graceQuietSeconds: settings.graceQuietSeconds,
        graceMaxSeconds: settings.graceMaxSeconds,
      });
      const total = performance.now() - started;
      states[outcome.state] = (states[outcome.state] ?? 0) + 1;
      if (outcome.state !== 'done') {
        throw new Error(`phase rotation ${run + 1} ended ${outcome.state}: ${outcome.hold?.reason ?? outcome.failure ?? 'no reason'}`);
      }
      const lockBegan = running.marks.get('lock') ?? started;
      const stepsSum = Object.values(running.durations).reduce((sum, value) => sum + value, 0);
      samples.push({ ...running.durations, start: lockBegan - started, 'between steps': total - stepsSum - (lockBegan - started) });
      totals.push(total);
    }
    running = undefined;
    const phasesMs: Record<string, Summary> = {};
    for (const name of PHASE_ORDER) phasesMs[name] = summarize(samples.map((sample) => sample[name] ?? 0));
    const perRotation = (value: number) => Math.round((value / settings.rotations) * 100) / 100;
    return {
      settings,
      phasesMs,
      totalMs: summarize(totals),
      states,
      storeCallsPerRotation: {
        total: perRotation(world.storeCalls.total),
        writes: perRotation(world.storeCalls.writes),
        writesByPhase: Object.fromEntries(PHASE_ORDER.filter((name) => writesByPhase[name] !== undefined).map((name) => [name, perRotation(writesByPhase[name] ?? 0)])),
        byMethod: Object.fromEntries(Object.entries(world.storeCalls.byMethod).sort(([, a], [, b]) => b - a).map(([method, count]) => [method, perRotation(count)])),
      },
      providerCallsPerRotation: {
        total: perRotation(world.requests.total),
        byPhase: Object.fromEntries(PHASE_ORDER.filter((name) => callsByPhase[name] !== undefined).map((name) => [name, perRotation(callsByPhase[name] ?? 0)])),
        byRoute: Object.fromEntries(Object.entries(world.requests.byRoute).sort(([, a], [, b]) => b - a).map(([route, count]) => [route, perRotation(count)])),
      },
    };
  } finally {
    await world.close();
  }
}
