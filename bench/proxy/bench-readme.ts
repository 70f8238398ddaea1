/** Renders bench/proxy/README.md from the figures of a run (the same figures as results.json). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Summary {
  latencyP50Milliseconds: number;
  latencyP99Milliseconds: number;
  throughputPerSecond: number;
  failures: number;
}

interface Results {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; loadAverageAtStart: number[]; node: string; platform: string };
  method: Record<string, string | number>;
  summary: Partial<Record<'direct' | 'rekey-proxy' | 'portkey', Summary>>;
  relative: {
    rekeyProxy: { addedLatencyP50Milliseconds: number; addedLatencyP99Milliseconds: number; throughputRatioToDirect: number } | undefined;
    portkey: { addedLatencyP50Milliseconds: number; addedLatencyP99Milliseconds: number; throughputRatioToDirect: number } | undefined;
    rekeyVsPortkeyThroughput: number | undefined;
  };
}

const fixed = (value: number | undefined, digits = 2) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));

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

export function writeBenchReadme(file: string, results: Results): void {
  const rows = (['direct', 'rekey-proxy', 'portkey'] as const)
    .filter((name) => results.summary[name] !== undefined)
    .map((name) => {
      const figures = results.summary[name] as Summary;
      const relative = name === 'rekey-proxy' ? results.relative.rekeyProxy : name === 'portkey' ? results.relative.portkey : undefined;
      return `| ${name} | ${fixed(figures.latencyP50Milliseconds, 3)} | ${fixed(figures.latencyP99Milliseconds, 3)} | ${relative === undefined ? '—' : `+${fixed(relative.addedLatencyP50Milliseconds, 3)}`} | ${relative === undefined ? '—' : `+${fixed(relative.addedLatencyP99Milliseconds, 3)}`} | ${fixed(figures.throughputPerSecond, 0)} | ${relative === undefined ? '1.00' : fixed(relative.throughputRatioToDirect)} | ${figures.failures} |`;
    });
  const text = `# Proxy benchmark

\`rekey proxy\` (virtual token → real key injected, metering, model checks) versus calling the
provider emulator directly, and versus the Portkey gateway in front of the same emulator,
side by side in one run. Generated by \`bench/proxy/proxy-bench.ts\`; every figure is in
[\`results.json\`](results.json).

Run: \`npm run build && node dist/bench/proxy/proxy-bench.js\` (options: \`--cycles 5 --seconds 3
--sequential 1500 --concurrency 32 --no-portkey\`). Portkey is installed into a temporary
directory with \`npm install --prefix\` by the script; it is not a project dependency.

## Result (${results.date.slice(0, 10)})

| target | p50 ms | p99 ms | added p50 ms | added p99 ms | max req/s | × direct | failures |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${results.relative.rekeyVsPortkeyThroughput === undefined ? '' : `rekey proxy throughput is **${fixed(results.relative.rekeyVsPortkeyThroughput)}×** Portkey's on this machine; `}rekey proxy adds **${fixed(results.relative.rekeyProxy?.addedLatencyP50Milliseconds, 3)} ms** at p50 and **${fixed(results.relative.rekeyProxy?.addedLatencyP99Milliseconds, 3)} ms** at p99${results.relative.portkey === undefined ? '' : ` (Portkey: ${fixed(results.relative.portkey.addedLatencyP50Milliseconds, 3)} ms / ${fixed(results.relative.portkey.addedLatencyP99Milliseconds, 3)} ms)`}.

## Machine and method

- ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, ${results.machine.platform}, Node ${results.machine.node}; load average at start ${results.machine.loadAverageAtStart.join(' / ')} (a shared machine: absolute figures are noisy, the side-by-side ratios are the point).
${Object.entries(results.method).map(([name, value]) => `- ${name}: ${value}`).join('\n')}

## Caveats

- Everything shares the same cores: the emulator, the proxy under test and the load generator
  compete for CPU, so "max req/s" is the throughput of the whole loop on this machine, bounded
  by whichever process saturates first. Direct calls skip one process, which is part of why
  they are faster.
- Latency samples are interleaved request by request and throughput ratios are taken within
  each cycle, so the background load of this shared machine hits every target alike; p99 still
  moves from run to run with that load (read it as "same order of magnitude", not a ranking).
- The emulator answers instantly; real providers take hundreds of milliseconds, next to which
  the added latency here is small.
${loadSection(dirname(file))}`;
  writeFileSync(file, text);
}
