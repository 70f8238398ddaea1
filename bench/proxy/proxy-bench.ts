/**
 * Proxy benchmark: added latency (p50, p99) and maximum throughput of `rekey proxy`
 * versus calling the emulator directly, and versus the Portkey gateway in front of the
 * same emulator, side by side in one run. Every server is its own process on loopback;
 * the load generator is this process (Node fetch, keep-alive). Portkey is installed into
 * a temporary directory with `npm install --prefix`, never into the project.
 *
 *   npm run build && node dist/bench/proxy/proxy-bench.js [--cycles 5] [--seconds 3] [--sequential 1500] [--concurrency 32] [--no-portkey]
 *
 * Writes bench/proxy/results.json and bench/proxy/README.md.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { freePort, spawnAndWait, spawnRole, type RunningChild } from './bench-processes.js';
import { createBenchSetup, describeMachine, median, percentile, round } from './bench-setup.js';
import { writeBenchReadme } from './bench-readme.js';

interface Target {
  name: 'direct' | 'rekey-proxy' | 'portkey';
  url: string;
  headers: Record<string, string>;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : Number(process.argv[index + 1]);
  return value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
}

const ROUNDS = option('cycles', 5);
const SECONDS = option('seconds', 3);
const SEQUENTIAL = option('sequential', 1500);
const CONCURRENCY = option('concurrency', 32);
const WITH_PORTKEY = !process.argv.includes('--no-portkey');
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16 });

async function call(target: Target): Promise<boolean> {
  const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: BODY });
  const text = await response.text();
  return response.status === 200 && text.includes('chat.completion');
}

async function warmUp(target: Target, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await call(target).catch(() => false);
}

async function throughput(target: Target, seconds: number, concurrency: number): Promise<{ perSecond: number; failures: number }> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        if (await call(target).catch(() => false)) done += 1;
        else failures += 1;
      }
    }),
  );
  return { perSecond: done / ((performance.now() - started) / 1000), failures };
}

async function installPortkey(): Promise<{ directory: string; version: string; script: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-portkey-'));
  await promisify(execFile)('npm', ['install', '--prefix', directory, '--no-audit', '--no-fund', '--loglevel=error', '@portkey-ai/gateway@1'], { timeout: 300_000 });
  const packageDirectory = join(directory, 'node_modules', '@portkey-ai', 'gateway');
  const version = (JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8')) as { version: string }).version;
  return { directory, version, script: join(packageDirectory, 'build', 'start-server.js') };
}

async function startPortkey(script: string): Promise<RunningChild> {
  const port = await freePort();
  const child = await spawnAndWait(process.execPath, [script, `--port=${port}`, '--headless'], { NODE_ENV: 'production' }, (line) => (/running|listening|http:\/\//i.test(line) ? `http://127.0.0.1:${port}` : undefined));
  // Its banner may come before the socket is ready: wait until it answers.
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answered = await fetch(`${child.url}/`).then(() => true, () => false);
    if (answered) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return child;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const setup = await createBenchSetup('openai/bench/prod');
  const children: RunningChild[] = [];
  let portkeyInstall: { directory: string; version: string; script: string } | undefined;
  try {
    const { secret } = await issueAccessToken(setup.store, { kind: 'proxy', name: 'bench', credentials: ['openai/bench/prod'], allowedModels: [], createdBy: 'bench' }, new Date());
    const proxy = await spawnRole('proxy', setup.childEnv);
    children.push(proxy);
    const targets: Target[] = [
      { name: 'direct', url: `${setup.openaiBaseUrl}/chat/completions`, headers: { authorization: `Bearer ${setup.firstKey.value}` } },
      { name: 'rekey-proxy', url: `${proxy.url}/v1/chat/completions`, headers: { authorization: `Bearer ${secret}` } },
    ];
    if (WITH_PORTKEY) {
      process.stderr.write('installing @portkey-ai/gateway into a temporary directory…\n');
      portkeyInstall = await installPortkey();
      const portkey = await startPortkey(portkeyInstall.script);
      children.push(portkey);
      targets.push({
        name: 'portkey',
        url: `${portkey.url}/v1/chat/completions`,
        headers: { authorization: `Bearer ${setup.firstKey.value}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': setup.openaiBaseUrl },
      });
    }

    for (const target of targets) {
      if (!(await call(target))) throw new Error(`${target.name} does not answer a chat completion`);
      await warmUp(target, 100);
    }

    // Latency: one request to each target in turn (order rotating), so every target sees
    // the same background load (this machine is shared); then p50/p99 per target.
    process.stderr.write(`latency: ${SEQUENTIAL} interleaved rounds of one request per target\n`);
    const samples: Record<string, number[]> = Object.fromEntries(targets.map((target) => [target.name, []]));
    const failures: Record<string, number> = Object.fromEntries(targets.map((target) => [target.name, 0]));
    for (let index = 0; index < SEQUENTIAL; index += 1) {
      for (let offset = 0; offset < targets.length; offset += 1) {
        const target = targets[(index + offset) % targets.length] as Target;
        const started = performance.now();
        const ok = await call(target).catch(() => false);
        if (ok) samples[target.name]?.push(performance.now() - started);
        else failures[target.name] = (failures[target.name] ?? 0) + 1;
      }
    }
    // Throughput: short windows per target, order rotating per cycle; ratios within a cycle.
    process.stderr.write(`throughput: ${ROUNDS} cycles of ${SECONDS} s per target, ${CONCURRENCY} concurrent\n`);
    const windows: Record<string, number[]> = Object.fromEntries(targets.map((target) => [target.name, []]));
    const ratios: Record<string, number[]> = Object.fromEntries(targets.map((target) => [target.name, []]));
    for (let cycle = 0; cycle < ROUNDS; cycle += 1) {
      const perCycle: Record<string, number> = {};
      for (let offset = 0; offset < targets.length; offset += 1) {
        const target = targets[(cycle + offset) % targets.length] as Target;
        const load = await throughput(target, SECONDS, CONCURRENCY);
        perCycle[target.name] = load.perSecond;
        windows[target.name]?.push(round(load.perSecond, 1));
        failures[target.name] = (failures[target.name] ?? 0) + load.failures;
      }
      for (const target of targets) ratios[target.name]?.push((perCycle[target.name] ?? 0) / (perCycle.direct ?? Number.NaN));
    }

    const summary = Object.fromEntries(
      targets.map((target) => {
        const sorted = [...(samples[target.name] ?? [])].sort((left, right) => left - right);
        return [
          target.name,
          {
            latencyP50Milliseconds: round(percentile(sorted, 0.5), 3),
            latencyP99Milliseconds: round(percentile(sorted, 0.99), 3),
            throughputPerSecond: round(median(windows[target.name] ?? []), 1),
            failures: failures[target.name] ?? 0,
          },
        ];
      }),
    ) as Record<Target['name'], { latencyP50Milliseconds: number; latencyP99Milliseconds: number; throughputPerSecond: number; failures: number }>;
    const direct = summary.direct;
    const added = (name: Target['name']) =>
      summary[name] === undefined
        ? undefined
        : {
            addedLatencyP50Milliseconds: round(summary[name].latencyP50Milliseconds - direct.latencyP50Milliseconds, 3),
            addedLatencyP99Milliseconds: round(summary[name].latencyP99Milliseconds - direct.latencyP99Milliseconds, 3),
            throughputRatioToDirect: round(median(ratios[name] ?? []), 3),
          };
    const perCycleRekeyVsPortkey = (windows['rekey-proxy'] ?? []).map((value, index) => value / ((windows.portkey ?? [])[index] ?? Number.NaN));
    const results = {
      date: new Date().toISOString(),
      machine,
      method: {
        request: 'POST /v1/chat/completions (gpt-4o-mini, non-streaming) against the rekey provider emulator',
        processes: 'emulator, rekey proxy and Portkey each in their own Node process; the load generator (Node fetch, keep-alive) in another',
        latency: `${SEQUENTIAL} rounds of one sequential request per target, interleaved (order rotating), after 100 warm-up each; p50 and p99 over all samples`,
        throughput: `${ROUNDS} cycles; per cycle each target gets ${SECONDS} s of ${CONCURRENCY} concurrent closed-loop clients (order rotating); figures are medians over cycles, ratios are medians of within-cycle ratios`,
        portkey: portkeyInstall === undefined ? 'not run (--no-portkey)' : `@portkey-ai/gateway ${portkeyInstall.version}, provider openai with x-portkey-custom-host pointing at the emulator`,
      },
      summary,
      relative: {
        rekeyProxy: added('rekey-proxy'),
        portkey: added('portkey'),
        rekeyVsPortkeyThroughput: summary.portkey === undefined ? undefined : round(median(perCycleRekeyVsPortkey), 3),
      },
      throughputWindows: windows,
    };
    const output = resolve(import.meta.dirname, '../../../bench/proxy');
    writeFileSync(join(output, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    writeBenchReadme(join(output, 'README.md'), results);
    process.stdout.write(JSON.stringify({ summary: results.summary, relative: results.relative }, null, 2) + '\n');
  } finally {
    for (const child of children) await child.stop();
    await setup.close();
    if (portkeyInstall !== undefined) rmSync(portkeyInstall.directory, { recursive: true, force: true });
  }
}

await main();
