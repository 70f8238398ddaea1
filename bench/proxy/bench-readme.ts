/** Renders bench/proxy/README.md from the figures of a run (the same figures as results.json). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface RateFigures {
  requests: number;
  failures: number;
  achievedPerSecond: number;
  p50Milliseconds: number;
  p99Milliseconds: number;
  p999Milliseconds: number;
  maxMilliseconds: number;
}

export interface StreamFigures {
  streams: number;
  failures: number;
  ttfbP50Milliseconds: number;
  ttfbP99Milliseconds: number;
  gapP50Milliseconds: number;
  gapP99Milliseconds: number;
  chunksPerStreamMedian: number;
  totalP50Milliseconds: number;
}

type Added = { addedP50Milliseconds?: number; addedP99Milliseconds?: number; addedP999Milliseconds?: number };
type Names = 'direct' | 'bare' | 'rekey' | 'portkey';

export interface ProxyBenchResults {
  date: string;
  machine: { cpuModel: string; cores: number; memoryGiB: number; node: string; os: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[]; loadAverageOneMinuteAfterEachRun: number[] };
  method: Record<string, string | number>;
  fixedRate: Record<string, Partial<Record<Names, Omit<RateFigures, 'requests' | 'maxMilliseconds'> & Added>>>;
  throughput: Record<string, Partial<Record<Names, { perSecond: number; failures: number; ratioToBare: number; ratioToPortkey: number }>>>;
  streams: Partial<Record<Names, StreamFigures & { addedTtfbP50Milliseconds?: number; addedGapP99Milliseconds?: number }>>;
  rssMiB: Partial<Record<Names, number[]>>;
  perRun: unknown;
}

const fixed = (value: number | undefined, digits = 2) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const signed = (value: number | undefined, digits = 2) => (value === undefined || Number.isNaN(value) ? '—' : `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`);
const NAMES: Names[] = ['direct', 'bare', 'rekey', 'portkey'];

interface LoadFigures {
  requests: number;
  failures: number;
  ratePerSecond: number;
  latencyP50Milliseconds: number;
  latencyP99Milliseconds: number;
  rotations: number;
}

interface LoadResults {
  date: string;
  store: string;
  machine: { loadAverageAtStart: number[] };
  proxy: LoadFigures;
  sdk: LoadFigures;
  propagation: { clients: number; serverInstances: number; rotations: number; samples: number; p50Milliseconds: number; p99Milliseconds: number; maxMilliseconds: number };
  engine?: { proxy: LoadFigures & { secondsPerRotation: number[] }; sdk: LoadFigures & { secondsPerRotation: number[] } };
}

/** The load-run section, from load-results*.json beside the README (written by load-main.ts). */
function loadSection(directory: string): string {
  const runs = ['load-results.json', 'load-results-postgres.json']
    .map((name) => join(directory, name))
    .filter((path) => existsSync(path))
    .map((path) => JSON.parse(readFileSync(path, 'utf8')) as LoadResults);
  if (runs.length === 0) return '';
  const rows = runs.flatMap((run) => [
    `| ${run.store.split(',')[0]} | proxy | ${run.proxy.rotations} | ${run.proxy.requests} | **${run.proxy.failures}** | ${run.proxy.ratePerSecond.toFixed(1)} | ${run.proxy.latencyP50Milliseconds} / ${run.proxy.latencyP99Milliseconds} |`,
    `| ${run.store.split(',')[0]} | SDK | ${run.sdk.rotations} | ${run.sdk.requests} | **${run.sdk.failures}** | ${run.sdk.ratePerSecond.toFixed(1)} | ${run.sdk.latencyP50Milliseconds} / ${run.sdk.latencyP99Milliseconds} |`,
    ...(run.engine === undefined
      ? []
      : (['proxy', 'sdk'] as const).map((path) => {
          const figures = run.engine?.[path] as LoadFigures & { secondsPerRotation: number[] };
          return `| ${run.store.split(',')[0]} | ${path === 'proxy' ? 'proxy' : 'SDK'}, rotation engine (${figures.secondsPerRotation.join(' / ')} s each) | ${figures.rotations} | ${figures.requests} | **${figures.failures}** | ${figures.ratePerSecond.toFixed(1)} | ${figures.latencyP50Milliseconds} / ${figures.latencyP99Milliseconds} |`;
        })),
  ]);
  const propagation = runs.map(
    (run) =>
      `| ${run.store.split(',')[0]} | ${run.propagation.serverInstances} | ${run.propagation.clients} | ${run.propagation.rotations} | ${run.propagation.samples} | **${run.propagation.p50Milliseconds}** | **${run.propagation.p99Milliseconds}** | ${run.propagation.maxMilliseconds} |`,
  );
  return `
## Load during rotations (\`load-main.ts\`)

Official \`openai\` clients (maxRetries 0, one request in five streamed) at a paced 250 req/s,
(a) through \`rekey proxy\` with virtual tokens and (b) straight to the emulator with
\`rotationProofOpenAI\` + \`createKeySource\` (keys from \`rekey serve\` by long poll), during
back-to-back rotations (mint at the emulator → pending → promote → 1 s grace → revoke the old
key at the emulator), and with rotations run by the rotation engine itself, whose grace ends
when proxy metering / SDK check-ins show the old version quiet for 2 s. Every server is its own process. Run: \`npm run build && node
dist/bench/proxy/load-main.js\` (PostgreSQL: set \`REKEY_BENCH_DATABASE_URL\` to a throwaway database).

| store | path | rotations | requests | failed | req/s achieved | latency p50 / p99 ms |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Propagation: time from \`promote\` until each SDK client holds the new key.

| store | serve instances | SDK clients | promotes | samples | p50 ms | p99 ms | max ms |
|---|---|---|---|---|---|---|---|
${propagation.join('\n')}

Files: ${runs.map((run) => `${run.date.slice(0, 16)}Z, load average at start ${run.machine.loadAverageAtStart.join(' / ')}`).join('; ')} — see \`load-results.json\` and \`load-results-postgres.json\`.
A req/s a little under 250 means the paced load could not be sustained on this shared 2-core machine, not that requests failed.
`;
}

/** Where the time went and what changed it (kept with the generator so a re-run keeps it). */
const PROFILE_NOTES = `## Where the time went, and what changed it

Profiled with \`npm run bench:proxy -- --profile <dir>\` (the rekey process runs under
\`node --cpu-prof\`) while wrk drove 1 KiB chat completions at it (2026-12-08, before any change;
6 s of load, 5.5 % idle, so CPU-bound). Inclusive shares of the proxy's CPU:

| where | share |
|---|---|
| undici \`fetch\` to the upstream (Request construction, fetch-spec steps, body re-streaming) | 10.5 % (+ 7.5 % in its \`Request\` constructor) |
| request body read through a WHATWG ReadableStream made from the socket (hono adaptor \`get body\` + \`readBodyLimited\`) | 7.3 % |
| hono node-server adaptor: incoming → \`Request\` (6.5 %), \`Response\` → socket (4.9 %) | 11.4 % |
| garbage collection (mostly the objects above) | 7.9 % |
| node:http parsing and socket writes | ≈ 12 % |
| rekey's own checks: token cache, credential choice, endpoint group, JSON parse, duplicate-key walk, model check, metering | ≈ 3 % |

Changed: the upstream call goes over node:http with keep-alive agents (\`src/proxy/upstream-client.ts\`,
the same wire exchange without undici's fetch layer), and the request body is read straight
from the socket with the same bound (\`readIncomingLimited\`: 413 as soon as the limit is passed,
the rest discarded, never held). No check of item 3 changed; \`test/attacks/proxy-bypass.test.ts\`
and \`test/proxy/\` pass, and \`test/proxy/proxy.test.ts\` still shows the first streamed event
arriving before the upstream finishes.

What is left is the Fetch-API shape of the proxy itself: every request still becomes a WHATWG
\`Request\` (hono's node adaptor, shared with \`rekey serve\` through \`listenFetch\`), the upstream
answer becomes a \`Response\` over a web stream (\`Readable.toWeb\`), headers are copied into
\`Headers\` objects twice, and the answer goes back through the adaptor. The bare pass-through does
none of that. Meeting the throughput goal needs the proxy's hot path on node:http end to end
(IncomingMessage in, ServerResponse out, the checks unchanged) — not done in this change. The
figures above say by how much each goal is missed on this (shared, loaded) machine.
`;

export function writeBenchReadme(file: string, results: ProxyBenchResults): void {
  const present = NAMES.filter((name) => results.fixedRate['1kb@1000']?.[name] !== undefined);
  const rateRows = Object.entries(results.fixedRate).flatMap(([key, byName]) =>
    present.map((name) => {
      const figures = byName[name];
      if (figures === undefined) return '';
      const [size, rate] = key.split('@');
      return `| ${size} @ ${rate} | ${name} | ${fixed(figures.achievedPerSecond, 0)} | ${fixed(figures.p50Milliseconds, 3)} | ${fixed(figures.p99Milliseconds, 3)} | ${fixed(figures.p999Milliseconds, 3)} | ${signed(figures.addedP50Milliseconds, 3)} | ${signed(figures.addedP99Milliseconds, 3)} | ${signed(figures.addedP999Milliseconds, 3)} | ${figures.failures} |`;
    }),
  );
  const throughputRows = Object.entries(results.throughput).flatMap(([size, byName]) =>
    present.map((name) => {
      const figures = byName[name];
      return figures === undefined ? '' : `| ${size} | ${name} | ${fixed(figures.perSecond, 0)} | ${name === 'direct' ? '—' : fixed(figures.ratioToBare)} | ${name === 'direct' || results.throughput[size]?.portkey === undefined ? '—' : fixed(figures.ratioToPortkey)} | ${figures.failures} |`;
    }),
  );
  const streamRows = present.map((name) => {
    const figures = results.streams[name];
    return figures === undefined ? '' : `| ${name} | ${figures.streams} | ${fixed(figures.ttfbP50Milliseconds, 3)} | ${fixed(figures.ttfbP99Milliseconds, 3)} | ${signed(figures.addedTtfbP50Milliseconds, 3)} | ${fixed(figures.gapP50Milliseconds, 3)} | ${fixed(figures.gapP99Milliseconds, 3)} | ${signed(figures.addedGapP99Milliseconds, 3)} | ${fixed(figures.chunksPerStreamMedian, 0)} | ${figures.failures} |`;
  });
  const rssRows = Object.entries(results.rssMiB).map(([name, values]) => {
    const first = values[0] ?? Number.NaN;
    const tenth = values[Math.min(values.length - 1, 10)] ?? Number.NaN;
    const last = values[values.length - 1] ?? Number.NaN;
    return `| ${name} | ${values.length - 1} | ${fixed(first, 1)} | ${fixed(tenth, 1)} | ${fixed(last, 1)} | ${fixed(Math.max(...values), 1)} | ${signed(last - tenth, 1)} |`;
  });
  const at1000 = results.fixedRate['1kb@1000']?.rekey;
  const through = results.throughput['1kb']?.rekey;
  const text = `# Proxy benchmark

What \`rekey proxy\` (virtual token verified, credential chosen, endpoint and model checked,
key injected, metered) adds to a request, against the practical limit and a peer, side by side
in one run. Generated by \`bench/proxy/proxy-bench.ts\`; every figure, with each run's own, is in
[\`results.json\`](results.json).

Run: \`npm run bench:proxy\` (options: \`--runs 3 --seconds 5 --rss-seconds 60 --stream-rounds 200
--no-portkey --rss-all --profile <dir>\`). Portkey (\`@portkey-ai/gateway\`) is installed into a
temporary prefix with \`npm install --prefix\` by the script and removed after; it is never a
project dependency, and the run refuses to start if it cannot be installed (\`--no-portkey\` to skip it).

Targets: **direct** (the client to the minimal upstream), **bare** (a dozen lines of node:http
pass-through, \`bare-proxy.ts\`: the practical limit of a proxy on this runtime), **rekey**, and
**portkey**.

## Result (${results.date.slice(0, 16)}Z, medians of ${results.method.runs} runs)

At 1,000 req/s with 1 KiB bodies rekey adds **${signed(at1000?.addedP50Milliseconds, 3)} ms** at p50 and
**${signed(at1000?.addedP99Milliseconds, 3)} ms** at p99 (goals: < 1 ms, < 3 ms); its maximum throughput on one core is
**${fixed(through?.perSecond, 0)} req/s**, **${fixed(through?.ratioToBare)}×** the bare pass-through (goal ≥ 0.8) and
**${fixed(through?.ratioToPortkey)}×** Portkey (goal ≥ 1.5).

### Latency at fixed rates (open loop)

| body @ req/s | target | achieved req/s | p50 ms | p99 ms | p99.9 ms | added p50 | added p99 | added p99.9 | failed |
|---|---|---|---|---|---|---|---|---|---|
${rateRows.filter(Boolean).join('\n')}

### Maximum throughput (wrk, one core for the proxy)

| body | target | req/s | × bare | × Portkey | failed |
|---|---|---|---|---|---|
${throughputRows.filter(Boolean).join('\n')}

The direct row is the ceiling of the load side (wrk and the upstream on one core): a proxy
row well under it measures the proxy, not the load tool.

### Streamed answers (20 chunks 2 ms apart, usage chunk, sequential)

| target | streams | TTFB p50 ms | TTFB p99 ms | added TTFB p50 | gap p50 ms | gap p99 ms | added gap p99 | chunks/stream | failed |
|---|---|---|---|---|---|---|---|---|---|
${streamRows.filter(Boolean).join('\n')}

### Memory (RSS, MiB, sampled every second at 1,000 req/s)

| target | seconds | start | at 10 s | end | max | end − 10 s |
|---|---|---|---|---|---|---|
${rssRows.join('\n')}

${PROFILE_NOTES}
## Machine and method

- ${results.machine.cores} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, ${results.machine.os}, Node ${results.machine.node}.
- Load average: at start ${results.machine.loadAverageAtStart.join(' / ')}, after each run ${results.machine.loadAverageOneMinuteAfterEachRun.join(' / ')} (1 min), at end ${results.machine.loadAverageAtEnd.join(' / ')}. A shared machine: other work lands on both cores; targets are interleaved and added figures are taken within a run, so that load hits every target alike.
${Object.entries(results.method).map(([name, value]) => `- ${name}: ${value}`).join('\n')}
${loadSection(dirname(file))}`;
  writeFileSync(file, text);
}
