/**
 * Proxy benchmark: added latency (p50, p99) and maximum throughput of `rekey proxy`
 * versus calling the emulator directly, and versus the Portkey gateway in front of the
 * same emulator, side by side in one run. Every server is its own process on loopback;
 * the load generator is this process (Node fetch, keep-alive). Portkey is installed into
 * a temporary directory with `npm install --prefix`, never into the project.
 *
 *   npm run build && node dist/bench/proxy/proxy-bench.js [--rounds 3] [--seconds 8] [--sequential 600] [--concurrency 32] [--no-portkey]
 *
 * Writes bench/proxy/results.json and bench/proxy/README.md.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { issueAccessToken } from '../../src/server/access-tokens.js';
import { openStoredAccessTokens } from '../../src/server/stored-tokens.js';
import { freePort, spawnAndWait, spawnRole, type RunningChild } from './bench-processes.js';
import { createBenchSetup, describeMachine, median, percentile, round } from './bench-setup.js';
import { writeBenchReadme } from './bench-readme.js';

interface Target {
  name: 'direct' | 'rekey-proxy' | 'portkey';
  url: string;
  headers: Record<string, string>;
}

interface RoundFigures {
  latencyP50Milliseconds: number;
  latencyP99Milliseconds: number;
  latencyMeanMilliseconds: number;
  throughputPerSecond: number;
  failures: number;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : Number(process.argv[index + 1]);
  return value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
}

const ROUNDS = option('rounds', 3);
const SECONDS = option('seconds', 8);
const SEQUENTIAL = option('sequential', 600);
const CONCURRENCY = option('concurrency', 32);
const WITH_PORTKEY = !process.argv.includes('--no-portkey');
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16 });

async function call(target: Target): Promise<boolean> {
  const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: BODY });
  const text = await response.text();
  return response.status === 200 && text.includes('chat.completion');
}

async function latency(target: Target, count: number): Promise<{ p50: number; p99: number; mean: number; failures: number }> {
  const samples: number[] = [];
  let failures = 0;
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    const ok = await call(target).catch(() => false);
    const elapsed = performance.now() - started;
    if (ok) samples.push(elapsed);
    else failures += 1;
  }
  samples.sort((left, right) => left - right);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), mean: samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length), failures };
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
    const { secret } = await issueAccessToken(openStoredAccessTokens(setup.store), { kind: 'proxy', name: 'bench', credentials: ['openai/bench/prod'], allowedModels: [], createdBy: 'bench' }, new Date());
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
      await latency(target, 100); // warm-up
    }

    const rounds: Record<string, RoundFigures[]> = Object.fromEntries(targets.map((target) => [target.name, []]));
    for (let round_ = 1; round_ <= ROUNDS; round_ += 1) {
      // Rotate the order each round: the emulator slows slightly as its usage log grows.
      const ordered = targets.map((_target, index) => targets[(index + round_ - 1) % targets.length] as Target);
      for (const target of ordered) {
        process.stderr.write(`round ${round_}/${ROUNDS}: ${target.name}\n`);
        const measured = await latency(target, SEQUENTIAL);
        const load = await throughput(target, SECONDS, CONCURRENCY);
        rounds[target.name]?.push({
          latencyP50Milliseconds: round(measured.p50, 3),
          latencyP99Milliseconds: round(measured.p99, 3),
          latencyMeanMilliseconds: round(measured.mean, 3),
          throughputPerSecond: round(load.perSecond, 1),
          failures: measured.failures + load.failures,
        });
      }
    }

    const summary = Object.fromEntries(
      targets.map((target) => {
        const list = rounds[target.name] ?? [];
        return [
          target.name,
          {
            latencyP50Milliseconds: round(median(list.map((each) => each.latencyP50Milliseconds)), 3),
            latencyP99Milliseconds: round(median(list.map((each) => each.latencyP99Milliseconds)), 3),
            throughputPerSecond: round(median(list.map((each) => each.throughputPerSecond)), 1),
            failures: list.reduce((sum, each) => sum + each.failures, 0),
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
            throughputRatioToDirect: round(summary[name].throughputPerSecond / direct.throughputPerSecond, 3),
          };
    const results = {
      date: new Date().toISOString(),
      machine,
      method: {
        request: 'POST /v1/chat/completions (gpt-4o-mini, non-streaming) against the rekey provider emulator',
        processes: 'emulator, rekey proxy and Portkey each in their own Node process; the load generator (Node fetch, keep-alive) in another',
        latency: `${SEQUENTIAL} sequential requests per round (after 100 warm-up), p50 and p99`,
        throughput: `${CONCURRENCY} concurrent closed-loop clients for ${SECONDS} s per round`,
        rounds: `${ROUNDS} (target order rotated each round)`,
        figures: 'medians over rounds',
        portkey: portkeyInstall === undefined ? 'not run (--no-portkey)' : `@portkey-ai/gateway ${portkeyInstall.version}, provider openai with x-portkey-custom-host pointing at the emulator`,
      },
      summary,
      relative: { rekeyProxy: added('rekey-proxy'), portkey: added('portkey'), rekeyVsPortkeyThroughput: summary.portkey === undefined ? undefined : round(summary['rekey-proxy'].throughputPerSecond / summary.portkey.throughputPerSecond, 3) },
      rounds,
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
