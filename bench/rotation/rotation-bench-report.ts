/** The shape of bench/rotation/results.json and the README generated from it. */
import type { MachineDescription } from '../bench-machine.js';
import type { FleetResults } from './bench-fleet.js';
import { PHASE_ORDER, type PhaseResults } from './bench-phases.js';

export interface RotationBenchResults {
  date: string;
  machine: MachineDescription;
  benchSeconds: number;
  phases: PhaseResults;
  fleets: FleetResults[];
}

const PHASE_NOTES: Record<string, string> = {
  start: 'lease, pre-checks, rotation record, `rotation-start` audit',
  lock: 'confirm no other active rotation',
  mint: 'create a service account named after the rotation (its key comes back once), seal it as version N+1 `pending`',
  test: '`GET /models`, one chat probe per allowed model, scope check (list project keys)',
  deliver: 'env file: write main + versioned slot (atomic, fsync), read back, compare fingerprints',
  promote: 'pending → current, current → previous in one transaction',
  grace: 'poll the old key\'s usage and `last_used_at` until quiet for the window',
  revoke: 'delete the old key\'s service account, confirm the key answers 401',
  finish: 'stage the old version `revoked`, remove its versioned slot, `rotation-end`',
  'between steps': 'journal `begin` writes and persisted transitions',
};

const number = (value: number) => value.toLocaleString('en-US');

/** Results committed before the PostgreSQL option existed have no `store`: they ran on SQLite. */
const isPostgres = (fleet: FleetResults) => (fleet.settings.store as string | undefined) === 'postgres';
const fleetLabel = (fleet: FleetResults) => `${fleet.settings.concurrency} in flight${isPostgres(fleet) ? ', PostgreSQL' : ''}`;

function phaseTable(phases: PhaseResults): string {
  const rows = PHASE_ORDER.map((name) => {
    const figure = phases.phasesMs[name];
    const calls = phases.providerCallsPerRotation.byPhase[name] ?? 0;
    const writes = phases.storeCallsPerRotation.writesByPhase[name] ?? 0;
    return `| ${name} | ${figure === undefined ? '-' : `**${number(figure.median)}**`} | ${figure === undefined ? '-' : number(figure.p90)} | ${calls} | ${writes} | ${PHASE_NOTES[name] ?? ''} |`;
  });
  const total = phases.totalMs;
  return [
    '| Phase | Median ms | p90 ms | Provider requests | Store writes | What it does |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    `| **total** | **${number(total.median)}** | ${number(total.p90)} | ${phases.providerCallsPerRotation.total} | ${phases.storeCallsPerRotation.writes} | one \`executor.start()\` call (${phases.storeCallsPerRotation.total} store calls in all) |`,
  ].join('\n');
}

function fleetTable(fleets: FleetResults[]): string {
  const header = `| | ${fleets.map(fleetLabel).join(' | ')} |`;
  const line = `| --- | ${fleets.map(() => '---:').join(' | ')} |`;
  const row = (label: string, cell: (fleet: FleetResults) => string) => `| ${label} | ${fleets.map(cell).join(' | ')} |`;
  return [
    header,
    line,
    row('Credentials rotated (`done`)', (fleet) => `${number(fleet.states['done'] ?? 0)} / ${number(fleet.settings.credentials)}`),
    row('Not done (held, failed, threw)', (fleet) => number(fleet.settings.credentials - (fleet.states['done'] ?? 0))),
    row('Wall time', (fleet) => `${number(fleet.wallSeconds)} s`),
    row('**Rotations per minute**', (fleet) => `**${number(fleet.rotationsPerMinute)}**`),
    row('One rotation, median / p90', (fleet) => `${number(Math.round(fleet.rotationMs.median))} / ${number(Math.round(fleet.rotationMs.p90))} ms`),
    row('**Provider requests per rotation**', (fleet) => `**${fleet.providerCalls.perRotation}**`),
    row('Store calls per rotation (writes)', (fleet) => `${fleet.storeCallsPerRotation.total} (${fleet.storeCallsPerRotation.writes})`),
    row('429s seen (per rotation)', (fleet) => `${number(fleet.providerCalls.status429)} (${fleet.providerCalls.status429PerRotation})`),
    row('Keys active at the emulator after the run', (fleet) => number(fleet.check.activeKeysAtProvider)),
    row('**Orphans** (active at the provider, unknown to the store)', (fleet) => `**${fleet.check.orphans}**`),
    row('Check checked: a key made at the emulator behind rekey\'s back is counted as an orphan', (fleet) => (fleet.check.strayKeyDetected === true ? 'yes' : fleet.check.strayKeyDetected === false ? '**no**' : 'not run')),
    row('Credentials with exactly one `current`', (fleet) => number(fleet.check.credentialsWithExactlyOneCurrent)),
    row('Current keys accepted by the emulator', (fleet) => number(fleet.check.currentKeysLive)),
    row('Old keys still live after `done`', (fleet) => number(fleet.check.oldKeysStillLiveAfterDone.length)),
    row('Consumers holding the current key (main slot)', (fleet) => number(fleet.check.consumersOnCurrent)),
    row('Consumers still holding the old versioned slot', (fleet) => number(fleet.check.consumersStillHoldingOldSlot.length)),
    row('Version stages after the run', (fleet) => Object.entries(fleet.check.stages).map(([stage, count]) => `${stage} ${number(count)}`).join(', ')),
    row('Seeding (not timed in the rate)', (fleet) => `${number(fleet.seedSeconds)} s`),
  ].join('\n');
}

function routeTable(fleets: FleetResults[]): string {
  const routes = [...new Set(fleets.flatMap((fleet) => Object.keys(fleet.providerCalls.byRoutePerRotation)))];
  return [
    `| Request | ${fleets.map(fleetLabel).join(' | ')} |`,
    `| --- | ${fleets.map(() => '---:').join(' | ')} |`,
    ...routes.map((route) => `| \`${route}\` | ${fleets.map((fleet) => fleet.providerCalls.byRoutePerRotation[route] ?? 0).join(' | ')} |`),
  ].join('\n');
}

function notDoneSection(fleets: FleetResults[]): string {
  const lines = fleets.flatMap((fleet) => fleet.notDone.map((item) => `- ${fleetLabel(fleet)}: ${item.credential} ended \`${item.state}\`: ${item.reason}`));
  if (lines.length === 0) return 'Every rotation of every fleet run ended `done`.';
  return ['Rotations that did not end `done` (at most 20 per run listed; all are counted above):', '', ...lines].join('\n');
}

function postgresShare(results: RotationBenchResults): string {
  const postgres = results.fleets.filter(isPostgres);
  if (postgres.length === 0) return '';
  const seconds = postgres.reduce((sum, fleet) => sum + (fleet.elapsedSeconds ?? 0), 0);
  return `, ${number(Math.round(results.benchSeconds - seconds))} s of it without the opt-in PostgreSQL fleet (\`REKEY_BENCH_DATABASE_URL\`)`;
}

/** Ratios and shares computed from the figures, so that the prose follows each run. */
function findings(results: RotationBenchResults): string[] {
  const { phases, fleets } = results;
  const lines: string[] = [];
  const calls = phases.providerCallsPerRotation;
  const graceCalls = calls.byPhase['grace'] ?? 0;
  const grace = phases.phasesMs['grace'];
  if (grace !== undefined && calls.total > 0) {
    lines.push(
      `One rotation takes ${number(phases.totalMs.median)} ms (median), of which the grace is ${number(grace.median)} ms ` +
        `(${Math.round((grace.median / phases.totalMs.median) * 100)}%): the ${phases.settings.graceQuietSeconds} s quiet window plus the provider's one-second ` +
        `\`last_used_at\` resolution, read at the next poll. Everything else (start, the other steps and the writes between them) takes ${number(Math.round(phases.totalMs.median - grace.median))} ms.`,
    );
    lines.push(
      `Without faults a rotation sends ${calls.total} provider requests; ${graceCalls} of them (${Math.round((graceCalls / calls.total) * 100)}%) are grace polls ` +
        `(key lookup for \`last_used_at\` + usage per poll). With a production quiet window of 15 min the engine polls every 30 s ` +
        '(its default ceiling), so the grace alone would send about 60 requests per rotation (arithmetic, not measured).',
    );
  }
  const store = phases.storeCallsPerRotation;
  const top = Object.entries(store.byMethod).filter(([method]) => /^(append|renew|update)/.test(method)).map(([method, count]) => `${count} \`${method}\``);
  lines.push(`A rotation makes ${store.writes} store writes (${store.total} store calls in all), each a durable commit: ${top.join(', ')}.`);
  const onSqlite = fleets.filter((fleet) => !isPostgres(fleet));
  const low = onSqlite[0];
  const high = onSqlite.at(-1);
  if (low !== undefined && high !== undefined && low !== high) {
    const ratio = high.rotationsPerMinute / low.rotationsPerMinute;
    const commits = Math.round((high.rotationsPerMinute / 60) * high.storeCallsPerRotation.writes);
    // Little's law with the median duration: the rate if nothing but the rotations' own waiting limited it.
    const boundOf = (fleet: FleetResults) => (fleet.settings.concurrency / (fleet.rotationMs.median / 1000)) * 60;
    const bound = (fleet: FleetResults) => number(Math.round(boundOf(fleet)));
    const reached = (fleet: FleetResults) => `${Math.round((fleet.rotationsPerMinute / boundOf(fleet)) * 100)}%`;
    lines.push(
      `Going from ${low.settings.concurrency} to ${high.settings.concurrency} rotations in flight multiplies the rate by ${ratio.toFixed(1)} ` +
        `(${number(low.rotationsPerMinute)} → ${number(high.rotationsPerMinute)} per minute; ${high.settings.concurrency / low.settings.concurrency}× would be linear), ` +
        `and the median rotation goes from ${number(Math.round(low.rotationMs.median))} to ${number(Math.round(high.rotationMs.median))} ms. ` +
        `A rotation mostly waits (grace, \`retry-after\`): in flight ÷ median duration gives about ${bound(low)} and ${bound(high)} per minute, ` +
        `and the measured rates are ${reached(low)} and ${reached(high)} of that. At ${high.settings.concurrency} in flight the one SQLite connection commits about ${number(commits)} writes per second.`,
    );
  }
  const postgres = fleets.find(isPostgres);
  const sqliteTwin = onSqlite.find((fleet) => fleet.settings.concurrency === postgres?.settings.concurrency);
  if (postgres !== undefined && sqliteTwin !== undefined) {
    lines.push(
      `On PostgreSQL (local server, the store's connection pool) at ${postgres.settings.concurrency} in flight the fleet rotates ` +
        `${number(postgres.rotationsPerMinute)} per minute against ${number(sqliteTwin.rotationsPerMinute)} on SQLite ` +
        `(${(postgres.rotationsPerMinute / sqliteTwin.rotationsPerMinute).toFixed(2)}×), median rotation ${number(Math.round(postgres.rotationMs.median))} ms ` +
        `against ${number(Math.round(sqliteTwin.rotationMs.median))} ms; the PostgreSQL server shares the same two cores.`,
    );
  }
  if (low !== undefined) {
    const share = low.providerCalls.status429 / Math.max(1, low.providerCalls.total);
    lines.push(
      `With 429s on, a fleet rotation sends ${low.providerCalls.perRotation} requests (${calls.total} in the fault-free single runs; a fleet revoke also looks ` +
        `the seeded key up first, as no service-account id was stored for it): ${low.providerCalls.status429PerRotation} of them are answered 429 ` +
        `(${(share * 100).toFixed(1)}% of all requests, for a ${Math.round(low.settings.knobs.rate429 * 100)}% knob) and each costs a ` +
        `${low.settings.knobs.retryAfterSeconds} s \`retry-after\` wait before the retry. ` +
        (fleets.every((fleet) => (fleet.states['done'] ?? 0) === fleet.settings.credentials)
          ? 'No request ran out of retries: every rotation ended `done`.'
          : 'Rotations that did not end `done` are listed above.'),
    );
  }
  return lines;
}

export function renderRotationBenchReadme(results: RotationBenchResults): string {
  const { machine, phases } = results;
  const fleet = results.fleets[0];
  const phaseKnobs = phases.settings.knobs;
  return `# Rotation benchmark

Generated by \`npm run bench:rotation\` (source: \`rotation-bench.ts\`); raw figures in \`results.json\`.
The whole run took ${number(results.benchSeconds)} s${postgresShare(results)}. For a quick look, scale it down with
\`REKEY_BENCH_PHASE_ROTATIONS\`, \`REKEY_BENCH_FLEET\` and \`REKEY_BENCH_CONCURRENCY\` (e.g. \`16,64\`);
\`--readme-only\` re-renders this file from \`results.json\`. The process exits non-zero when the
fleet check fails (an orphan, a credential without exactly one \`current\`, a live old key).

- Date: ${results.date}
- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}
- Setup (both parts): the provider emulator in the same process (loopback HTTP, ${phaseKnobs.latencyMs} ms added
  latency per request, no activation or revocation delay), the SQLite store (WAL,
  \`synchronous=FULL\`) with the vault, the OpenAI adapter, one env-file consumer per
  credential, no reload action, and the real rotation executor (\`createRotationExecutor\`).${
    results.fleets.some(isPostgres) ? '\n  The fleet column marked PostgreSQL uses a scratch database on the local PostgreSQL 15 server instead of SQLite.' : ''
  }
  Grace windows are **scaled down to seconds** so that the run stays under ten minutes:
  quiet window ${phases.settings.graceQuietSeconds} s (production default 15 min), grace polled every
  ${number(phases.settings.gracePollMinMs)} ms (the engine's default floor; every other executor setting is its default). Nothing uses the old keys during
  the run, so every grace ends on observed quiet once the window is covered.
- Provider requests are counted by the \`fetch\` given to the OpenAI adapter
  (\`createOpenAIProvider({ fetch })\`): every attempt, retries included, is one HTTP request
  the emulator received. 429s are counted from the statuses it answered.

## Time per phase of one rotation

${phases.settings.rotations} rotations of one credential, one after another, no faults. Each phase is timed from
the executor's progress events (\`begin\` to \`end\` of the step, the step's journal \`end\`
write included). Median and p90 by nearest rank, in milliseconds.

${phaseTable(phases)}

## Fleet: ${fleet === undefined ? 'not run' : `${number(fleet.settings.credentials)} credentials`}

${fleet === undefined ? '' : `Each credential has its own emulator project, a seeded service-account key (version 1,
\`current\`) and its own env-file consumer in a temporary directory. All are rotated once,
with at most N rotations in flight in one process, while the emulator answers
${Math.round(fleet.settings.knobs.rate429 * 100)}% of requests with 429 and \`retry-after: ${fleet.settings.knobs.retryAfterSeconds}\`
(the adapter's HTTP helper waits and retries). Grace: quiet ${fleet.settings.graceQuietSeconds} s, max ${fleet.settings.graceMaxSeconds} s.
Rotations per minute count rotations that ended \`done\`, over the wall time of the rotations
(seeding excluded).

${fleetTable(results.fleets)}

### Orphan check, after each run

- Every non-admin OpenAI key the emulator lists with status \`active\` (\`listAllKeys()\`) must
  be known to the store as a \`current\` version, or as the \`pending\`/\`previous\` version of a
  rotation that has not finished. Anything else is an orphan.
- Every credential has exactly one \`current\` version, and the emulator accepts its key.
- Every old (seeded) key of a rotation that ended \`done\` is dead (\`isKeyLive\` false).
- Every consumer's env file holds the current key in its main slot and no longer holds the
  old versioned slot.
- The check is checked: once it has counted, a user key is created in the first
  credential's project directly at the emulator (not through rekey), and the orphan count
  must see it.

${notDoneSection(results.fleets)}

### Provider requests per rotation, by route

${routeTable(results.fleets)}
`}
## What the figures say

${findings(results).map((line) => `- ${line}`).join('\n')}

## Reading the figures

- The machine is a shared 2-core container with other engineers' work running, so treat
  the figures as orders of magnitude.
- A rotation here is bounded by its grace window: with a real 15-minute window (or 24-48 h
  by policy) the time per rotation is the grace, and the fleet rate is set by how many
  rotations may wait in grace at once, not by the engine.
- Everything runs in one Node process: the emulator, the executor, the store and the
  consumers' files share its event loop and the two cores.
- The rate at the higher concurrency depends on what else the machine is doing. An earlier
  full run of the same measurement code (2026-11-26 20:41 UTC, results in commit 145b6af; load
  average about 8 during it, about 3.5 just after the committed run) measured 236 and 502 rotations per minute at 16
  and 64 in flight, with median rotations of 3.7 s and 6.9 s; its requests per rotation
  (13.98 and 13.93), 429s per rotation (1.35) and orphans (0) were the same.
`;
}
