/**
 * The fleet: many credentials, each with its own emulator project, seeded key and env-file
 * consumer, all rotated once with at most `concurrency` rotations in flight, against an
 * emulator that answers a share of requests with 429 + `retry-after`. Then the orphan
 * check (bench-checks.ts). A rotation that does not end `done` is counted with its state
 * and reason, never dropped.
 */
import { performance } from 'node:perf_hooks';
import { checkFleet, type FleetCheck } from './bench-checks.js';
import { round, summarize, type Summary } from './bench-stats.js';
import { openBenchWorld } from './bench-world.js';

export interface FleetSettings {
  store: 'sqlite' | 'postgres';
  credentials: number;
  concurrency: number;
  graceQuietSeconds: number;
  graceMaxSeconds: number;
  knobs: { latencyMs: number; activationDelayMs: number; revocationDelayMs: number; rate429: number; retryAfterSeconds: number };
  gracePollMinMs: number;
}

export interface FleetResults {
  settings: FleetSettings;
  seedSeconds: number;
  wallSeconds: number;
  /** Seeding, rotations, check and teardown: this run's share of the whole bench. */
  elapsedSeconds: number;
  rotationsPerMinute: number;
  rotationMs: Summary;
  states: Record<string, number>;
  /** Rotations that did not end `done` (or threw), with why; at most 20 listed. */
  notDone: Array<{ credential: string; state: string; reason: string }>;
  /** Store method calls per rotation (engine, vault, audit), before the check ran. */
  storeCallsPerRotation: { total: number; writes: number };
  providerCalls: { total: number; perRotation: number; status429: number; status429PerRotation: number; status5xx: number; byRoutePerRotation: Record<string, number> };
  check: FleetCheck;
}

export async function benchFleet(settings: FleetSettings, log: (line: string) => void, databaseUrl?: string): Promise<FleetResults> {
  if ((settings.store === 'postgres') !== (databaseUrl !== undefined)) throw new Error('a PostgreSQL fleet needs a database URL, a SQLite fleet none');
  const runStarted = performance.now();
  const world = await openBenchWorld({
    databaseUrl,
    knobs: { ...settings.knobs, rate429: 0 },
    settings: { gracePollMinMs: settings.gracePollMinMs },
  });
  try {
    const seedStarted = performance.now();
    const seeded = await world.seedCredentials(settings.credentials, `fleet${settings.concurrency}`);
    const seedSeconds = round((performance.now() - seedStarted) / 1000);
    // Faults only for the rotations: seeding is not what is measured.
    world.emulator.setKnobs({ rate429: settings.knobs.rate429 });
    world.resetCounters();

    const durations: number[] = [];
    const states: Record<string, number> = {};
    const notDone: FleetResults['notDone'] = [];
    const doneIds = new Set<string>();
    let next = 0;
    let finished = 0;
    const started = performance.now();
    const worker = async () => {
      for (;;) {
        const index = next;
        next += 1;
        const item = seeded[index];
        if (item === undefined) return;
        const began = performance.now();
        try {
          const outcome = await world.executor.start({
            credential: item.credential.name,
            actor: 'bench',
            graceQuietSeconds: settings.graceQuietSeconds,
            graceMaxSeconds: settings.graceMaxSeconds,
          });
          states[outcome.state] = (states[outcome.state] ?? 0) + 1;
          if (outcome.state === 'done') doneIds.add(item.credential.id);
          else notDone.push({ credential: item.credential.name, state: outcome.state, reason: outcome.hold?.reason ?? outcome.failure ?? 'no reason given' });
        } catch (error) {
          states['threw'] = (states['threw'] ?? 0) + 1;
          notDone.push({ credential: item.credential.name, state: 'threw', reason: error instanceof Error ? error.message : 'unknown error' });
        }
        durations.push(performance.now() - began);
        finished += 1;
        if (finished % 100 === 0) log(`  ${finished}/${seeded.length} rotations, ${round((performance.now() - started) / 1000)} s`);
      }
    };
    await Promise.all(Array.from({ length: settings.concurrency }, () => worker()));
    const wallSeconds = (performance.now() - started) / 1000;

    world.emulator.setKnobs({ rate429: 0 });
    const { requests } = world;
    const rotations = seeded.length;
    const perRotation = (value: number) => round(value / rotations, 2);
    const storeCallsPerRotation = { total: perRotation(world.storeCalls.total), writes: perRotation(world.storeCalls.writes) };
    const check = await checkFleet(world, seeded, doneIds);
    const results: Omit<FleetResults, 'elapsedSeconds'> = {
      settings,
      seedSeconds,
      wallSeconds: round(wallSeconds),
      rotationsPerMinute: round((doneIds.size / wallSeconds) * 60),
      rotationMs: summarize(durations),
      states,
      notDone: notDone.slice(0, 20),
      storeCallsPerRotation,
      providerCalls: {
        total: requests.total,
        perRotation: perRotation(requests.total),
        status429: requests.status429,
        status429PerRotation: perRotation(requests.status429),
        status5xx: requests.status5xx,
        byRoutePerRotation: Object.fromEntries(Object.entries(requests.byRoute).sort(([, a], [, b]) => b - a).map(([route, count]) => [route, perRotation(count)])),
      },
      check,
    };
    await world.close();
    return { ...results, elapsedSeconds: round((performance.now() - runStarted) / 1000) };
  } catch (error) {
    await world.close();
    throw error;
  }
}
