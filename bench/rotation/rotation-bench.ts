/**
 * `npm run bench:rotation`: time per phase of one rotation, then a fleet of credentials
 * rotated with a concurrency limit against the emulator with 429s switched on, with an
 * orphan check after each fleet run. Writes results.json and README.md beside this file.
 *
 * Sizes can be scaled down for a quick look (the committed figures use the defaults):
 * REKEY_BENCH_PHASE_ROTATIONS (20), REKEY_BENCH_FLEET (1000), REKEY_BENCH_CONCURRENCY ("16,64").
 * REKEY_BENCH_DATABASE_URL (a PostgreSQL server URL; opt-in) adds one more fleet run on
 * PostgreSQL at the highest concurrency, in a scratch database dropped afterwards.
 * `--readme-only` re-renders README.md from the committed results.json without running.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describeMachine } from '../bench-machine.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFleet, type FleetResults } from './bench-fleet.js';
import { benchPhases } from './bench-phases.js';
import { renderRotationBenchReadme, type RotationBenchResults } from './rotation-bench-report.js';

const OUTPUT = fileURLToPath(new URL('../../../bench/rotation/', import.meta.url));

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function main(): Promise<void> {
  if (process.argv.includes('--readme-only')) {
    const saved = JSON.parse(readFileSync(join(OUTPUT, 'results.json'), 'utf8')) as RotationBenchResults;
    writeFileSync(join(OUTPUT, 'README.md'), renderRotationBenchReadme(saved));
    return;
  }
  const phaseRotations = positiveInteger('REKEY_BENCH_PHASE_ROTATIONS', 20);
  const fleetSize = positiveInteger('REKEY_BENCH_FLEET', 1000);
  const concurrencies = (process.env.REKEY_BENCH_CONCURRENCY ?? '16,64').split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < 1) throw new Error('REKEY_BENCH_CONCURRENCY must list positive integers, e.g. 16,64');
    return value;
  });
  const log = (line: string) => console.log(line);
  const benchStarted = Date.now();

  log(`bench:rotation: ${phaseRotations} single rotations, one at a time…`);
  const phases = await benchPhases({
    rotations: phaseRotations,
    graceQuietSeconds: 1,
    graceMaxSeconds: 60,
    knobs: { latencyMs: 2, activationDelayMs: 0, revocationDelayMs: 0, rate429: 0 },
    gracePollMinMs: 1000,
  });
  log(`  total median ${phases.totalMs.median} ms, p90 ${phases.totalMs.p90} ms`);

  const databaseUrl = process.env.REKEY_BENCH_DATABASE_URL || undefined;
  const runs: Array<{ concurrency: number; store: 'sqlite' | 'postgres' }> = concurrencies.map((concurrency) => ({ concurrency, store: 'sqlite' }));
  if (databaseUrl !== undefined) runs.push({ concurrency: Math.max(...concurrencies), store: 'postgres' });
  const fleets: FleetResults[] = [];
  for (const { concurrency, store } of runs) {
    log(`bench:rotation: fleet of ${fleetSize} on ${store}, ${concurrency} in flight, 10% of requests answered 429…`);
    const fleet = await benchFleet(
      {
        store,
        credentials: fleetSize,
        concurrency,
        graceQuietSeconds: 1,
        graceMaxSeconds: 120,
        knobs: { latencyMs: 2, activationDelayMs: 0, revocationDelayMs: 0, rate429: 0.1, retryAfterSeconds: 1 },
        gracePollMinMs: 1000,
      },
      log,
      store === 'postgres' ? databaseUrl : undefined,
    );
    log(`  ${fleet.rotationsPerMinute} rotations/min, ${fleet.providerCalls.perRotation} provider calls per rotation, ${fleet.providerCalls.status429} 429s, ${fleet.check.orphans} orphans, states ${JSON.stringify(fleet.states)}`);
    fleets.push(fleet);
  }

  const results: RotationBenchResults = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    benchSeconds: Math.round((Date.now() - benchStarted) / 100) / 10,
    phases,
    fleets,
  };
  writeFileSync(join(OUTPUT, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(OUTPUT, 'README.md'), renderRotationBenchReadme(results));
  log(`bench:rotation: done in ${results.benchSeconds} s; wrote bench/rotation/results.json and README.md`);
  const failed = fleets.some((fleet) => fleet.check.orphans > 0 || fleet.check.credentialsWithoutExactlyOneCurrent.length > 0 || fleet.check.oldKeysStillLiveAfterDone.length > 0 || !fleet.check.strayKeyDetected);
  if (failed) {
    console.error('bench:rotation: the fleet check found orphans, a credential without exactly one current version or a live old key, or missed the stray key it planted');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
