/**
 * Proxy benchmark (issue #18 item 1): what `rekey proxy` adds, measured against a minimal
 * upstream that is never the bottleneck, side by side in one run with the practical limit
 * (direct to the upstream, and a bare node:http pass-through on the same runtime) and the
 * Portkey gateway. The proxies run pinned to core 0; the upstream and the load tools to
 * core 1 (taskset). Load: an open-loop fixed-rate driver (rate-driver.ts, its own Node
 * process, latency from each request's due time) and `wrk` for maximum throughput.
 * Portkey is installed into a temporary prefix with `npm install --prefix`, never into the
 * project; the run refuses to start if it cannot be installed (unless --no-portkey).
 *
 *   npm run bench:proxy -- [--runs 3] [--seconds 5] [--rss-seconds 60] [--stream-rounds 200] [--no-portkey] [--rss-all] [--profile <dir>] [--only rekey]
 *
 * Writes bench/proxy/results.json and bench/proxy/README.md.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { openStore } from '../../src/store/open-store.js';
import { createVault } from '../../src/vault/vault.js';
import { describeMachine } from '../bench-machine.js';
import { freePort, spawnAndWait, spawnRole, type RunningChild } from './bench-processes.js';
import { median, round } from './bench-setup.js';
import { writeBenchReadme, type ProxyBenchResults, type RateFigures, type StreamFigures } from './bench-readme.js';

const run = promisify(execFile);
type TargetName = 'direct' | 'bare' | 'rekey' | 'portkey';
interface Target {
  name: TargetName;
  url: string;
  headers: Record<string, string>;
  pid?: number | undefined;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : Number(process.argv[index + 1]);
  return value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
}
const textOption = (name: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? undefined : process.argv[index + 1];
};

const RUNS = option('runs', 3);
const SECONDS = option('seconds', 5);
const RSS_SECONDS = option('rss-seconds', 60);
const STREAM_ROUNDS = option('stream-rounds', 200);
const WITH_PORTKEY = !process.argv.includes('--no-portkey');
const PROFILE_DIRECTORY = textOption('profile');
const ONLY = textOption('only');
const RSS_ALL = process.argv.includes('--rss-all');
const RATES = [200, 1000, 5000];
const PROXY_CPU = 0;
const LOAD_CPU = 1;
/** A stand-in key: the minimal upstream accepts any; rekey injects its own stored one. */
const UPSTREAM_KEY = 'sk-bench-upstream-accepts-any-key';

function requestBody(bytes: number, stream: boolean): string {
  const base = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: '' }], max_tokens: 16, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) };
  const padding = bytes - JSON.stringify(base).length;
  base.messages[0]!.content = 'x'.repeat(Math.max(0, padding));
  return JSON.stringify(base);
}

async function installPortkey(): Promise<{ directory: string; version: string; script: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-portkey-'));
  try {
    await run('npm', ['install', '--prefix', directory, '--no-audit', '--no-fund', '--loglevel=error', '@portkey-ai/gateway@1'], { timeout: 300_000 });
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw new Error(`cannot install @portkey-ai/gateway into a temporary prefix (${(error as Error).message.split('\n')[0]}); run with --no-portkey to measure without it`);
  }
  const packageDirectory = join(directory, 'node_modules', '@portkey-ai', 'gateway');
  const version = (JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8')) as { version: string }).version;
  return { directory, version, script: join(packageDirectory, 'build', 'start-server.js') };
}

async function startPortkey(script: string): Promise<RunningChild> {
  const port = await freePort();
  const child = await spawnAndWait('taskset', ['-c', String(PROXY_CPU), process.execPath, script, `--port=${port}`, '--headless'], { NODE_ENV: 'production' }, (line) => (/running|listening|http:\/\//i.test(line) ? `http://127.0.0.1:${port}` : undefined));
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await fetch(`${child.url}/`).then(() => true, () => false)) break;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return child;
}

/** Runs a load tool pinned to the load core, its job in the environment. */
function driver(job: object): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('taskset', ['-c', String(LOAD_CPU), process.execPath, resolve(import.meta.dirname, 'rate-driver.js')], { env: { ...process.env, REKEY_BENCH_JOB: JSON.stringify(job) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(output)) : reject(new Error(`rate driver exited with ${code}`))));
  });
}

/** wrk, closed loop, for the ceiling: headers (the virtual token) go in a Lua file, not argv. */
async function wrk(directory: string, target: Target, bodyFile: string, seconds: number): Promise<{ perSecond: number; failures: number }> {
  const script = join(directory, `wrk-${target.name}.lua`);
  const lines = [`local f = io.open(${JSON.stringify(bodyFile)}, "rb")`, 'wrk.body = f:read("*a")', 'f:close()', 'wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"'];
  for (const [name, value] of Object.entries(target.headers)) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  writeFileSync(script, lines.join('\n') + '\n', { mode: 0o600 });
  const { stdout } = await run('taskset', ['-c', String(LOAD_CPU), 'wrk', '-t1', '-c32', `-d${seconds}s`, '-s', script, target.url], { timeout: (seconds + 30) * 1000 });
  const perSecond = Number(/Requests\/sec:\s*([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, value) => sum + Number(value), 0);
  return { perSecond, failures: non2xx + socketErrors };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s*(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

const rotate = <T>(list: readonly T[], by: number): T[] => list.map((_, index) => list[(index + by) % list.length] as T);

async function main(): Promise<void> {
  const machineAtStart = describeMachine();
  const directory = mkdtempSync(join(tmpdir(), 'rekey-bench-proxy-'));
  const children: RunningChild[] = [];
  let portkeyInstall: { directory: string; version: string; script: string } | undefined;
  try {
    if (WITH_PORTKEY) {
      process.stderr.write('installing @portkey-ai/gateway into a temporary prefix…\n');
      portkeyInstall = await installPortkey();
    }
    // A rekey database with one OpenAI credential whose current key the proxy injects.
    const masterKey = Buffer.alloc(32, 7);
    const salt = Buffer.alloc(32, 9);
    const sqlitePath = join(directory, 'rekey.db');
    const store = await openStore({ sqlitePath });
    await store.migrate();
    const vault = createVault({ store, envelope: createEnvelope(masterKey), fingerprintSalt: salt });
    const credential = await store.createCredential({ name: 'openai/bench/prod', provider: 'openai', scope: {}, environment: 'prod', owner: null, purpose: 'benchmark', allowedModels: ['gpt-4o-mini'], tags: {}, policy: {} });
    await vault.putVersion({ credential, value: new SecretValue('sk-bench-stored-key-injected-by-rekey-0001'), stage: 'current', providerKeyId: 'key-bench', mintedBy: 'bench' });
    const { secret } = await issueAccessToken(store, { kind: 'proxy', name: 'bench', credentials: ['openai/bench/prod'], allowedModels: ['gpt-4o-mini'], createdBy: 'bench' }, new Date());
    await store.close();

    const upstream = await spawnRole('upstream', {}, { cpu: LOAD_CPU });
    children.push(upstream);
    const roleEnv = { REKEY_BENCH_SQLITE: sqlitePath, REKEY_BENCH_MASTER_KEY: masterKey.toString('base64'), REKEY_BENCH_SALT: salt.toString('base64'), REKEY_BENCH_UPSTREAM: `${upstream.url}/v1` };
    const bare = await spawnRole('bare', { REKEY_BENCH_UPSTREAM: upstream.url }, { cpu: PROXY_CPU });
    children.push(bare);
    const rekey = await spawnRole('proxy', roleEnv, { cpu: PROXY_CPU, nodeFlags: PROFILE_DIRECTORY === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIRECTORY)}`] });
    children.push(rekey);
    const targets: Target[] = [
      { name: 'direct', url: `${upstream.url}/v1/chat/completions`, headers: { authorization: `Bearer ${UPSTREAM_KEY}` } },
      { name: 'bare', url: `${bare.url}/v1/chat/completions`, headers: { authorization: `Bearer ${UPSTREAM_KEY}` }, pid: bare.process.pid },
      { name: 'rekey', url: `${rekey.url}/v1/chat/completions`, headers: { authorization: `Bearer ${secret}` }, pid: rekey.process.pid },
    ];
    if (portkeyInstall !== undefined) {
      const portkey = await startPortkey(portkeyInstall.script);
      children.push(portkey);
      targets.push({ name: 'portkey', url: `${portkey.url}/v1/chat/completions`, headers: { authorization: `Bearer ${UPSTREAM_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstream.url}/v1` }, pid: portkey.process.pid });
    }
    const measured = ONLY === undefined ? targets : targets.filter((target) => target.name === 'direct' || target.name === ONLY);

    const bodies = { '1kb': join(directory, 'body-1kb.json'), '100kb': join(directory, 'body-100kb.json'), stream: join(directory, 'body-stream.json') };
    writeFileSync(bodies['1kb'], requestBody(1024, false));
    writeFileSync(bodies['100kb'], requestBody(100 * 1024, false));
    writeFileSync(bodies.stream, requestBody(1024, true));
    for (const target of measured) {
      const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: readFileSync(bodies['1kb']) });
      const text = await response.text();
      if (response.status !== 200 || !text.includes('chat.completion')) throw new Error(`${target.name} does not answer a chat completion (${response.status}): ${text.slice(0, 200)}`);
      await driver({ mode: 'rate', url: target.url, headers: target.headers, bodyFile: bodies['1kb'], rate: 500, seconds: 2, connections: 64 });
    }

    type PerRun<T> = Record<string, Partial<Record<TargetName, T>>>;
    const rateRuns: PerRun<RateFigures>[] = [];
    const throughputRuns: Record<string, Partial<Record<TargetName, { perSecond: number; failures: number }>>>[] = [];
    const streamRuns: Partial<Record<TargetName, StreamFigures>>[] = [];
    const loadDuring: number[] = [];
    const cases = [...RATES.map((rate) => ({ key: `1kb@${rate}`, body: bodies['1kb'], rate })), { key: '100kb@200', body: bodies['100kb'], rate: 200 }, { key: '100kb@1000', body: bodies['100kb'], rate: 1000 }];
    for (let index = 0; index < RUNS; index += 1) {
      process.stderr.write(`run ${index + 1}/${RUNS}: fixed rates\n`);
      const rates: PerRun<RateFigures> = {};
      for (const [caseIndex, each] of cases.entries()) {
        rates[each.key] = {};
        for (const target of rotate(measured, index + caseIndex)) {
          rates[each.key]![target.name] = (await driver({ mode: 'rate', url: target.url, headers: target.headers, bodyFile: each.body, rate: each.rate, seconds: SECONDS, connections: 256 })) as RateFigures;
        }
      }
      rateRuns.push(rates);
      process.stderr.write(`run ${index + 1}/${RUNS}: maximum throughput (wrk)\n`);
      const throughput: (typeof throughputRuns)[number] = { '1kb': {}, '100kb': {} };
      for (const size of ['1kb', '100kb'] as const) {
        for (const target of rotate(measured, index)) throughput[size]![target.name] = await wrk(directory, target, bodies[size], SECONDS);
      }
      throughputRuns.push(throughput);
      process.stderr.write(`run ${index + 1}/${RUNS}: streams\n`);
      streamRuns.push((await driver({ mode: 'stream', targets: measured.map(({ name, url, headers }) => ({ name, url, headers })), bodyFile: bodies.stream, rounds: STREAM_ROUNDS })) as Partial<Record<TargetName, StreamFigures>>);
      loadDuring.push(loadavg()[0] ?? Number.NaN);
    }

    // Memory: RSS of each proxy once a second during a fixed 1,000 req/s run.
    const rss: Partial<Record<TargetName, number[]>> = {};
    for (const target of measured.filter((each) => each.pid !== undefined && (RSS_ALL || each.name === 'rekey'))) {
      process.stderr.write(`RSS of ${target.name} over ${RSS_SECONDS} s at 1,000 req/s\n`);
      const samples: number[] = [rssMiB(target.pid!)];
      const timer = setInterval(() => samples.push(round(rssMiB(target.pid!), 1)), 1000);
      await driver({ mode: 'rate', url: target.url, headers: target.headers, bodyFile: bodies['1kb'], rate: 1000, seconds: RSS_SECONDS, connections: 256 });
      clearInterval(timer);
      rss[target.name] = samples.map((value) => round(value, 1));
    }

    const names = measured.map((target) => target.name);
    const medianOf = (values: number[]) => round(median(values.filter((value) => Number.isFinite(value))), 3);
    const rateSummary = Object.fromEntries(
      cases.map((each) => [
        each.key,
        Object.fromEntries(
          names.map((name) => {
            const per = rateRuns.map((one) => one[each.key]?.[name]).filter((value): value is RateFigures => value !== undefined);
            const direct = rateRuns.map((one) => one[each.key]?.direct);
            const added = (field: 'p50Milliseconds' | 'p99Milliseconds' | 'p999Milliseconds') => medianOf(rateRuns.map((one) => (one[each.key]?.[name]?.[field] ?? Number.NaN) - (one[each.key]?.direct?.[field] ?? Number.NaN)));
            return [
              name,
              {
                p50Milliseconds: medianOf(per.map((value) => value.p50Milliseconds)),
                p99Milliseconds: medianOf(per.map((value) => value.p99Milliseconds)),
                p999Milliseconds: medianOf(per.map((value) => value.p999Milliseconds)),
                achievedPerSecond: medianOf(per.map((value) => value.achievedPerSecond)),
                failures: per.reduce((sum, value) => sum + value.failures, 0),
                ...(name === 'direct' || direct.length === 0 ? {} : { addedP50Milliseconds: added('p50Milliseconds'), addedP99Milliseconds: added('p99Milliseconds'), addedP999Milliseconds: added('p999Milliseconds') }),
              },
            ];
          }),
        ),
      ]),
    );
    const throughputSummary = Object.fromEntries(
      (['1kb', '100kb'] as const).map((size) => [
        size,
        Object.fromEntries(
          names.map((name) => {
            const ratio = (other: TargetName) => medianOf(throughputRuns.map((one) => (one[size]?.[name]?.perSecond ?? Number.NaN) / (one[size]?.[other]?.perSecond ?? Number.NaN)));
            return [
              name,
              {
                perSecond: medianOf(throughputRuns.map((one) => one[size]?.[name]?.perSecond ?? Number.NaN)),
                failures: throughputRuns.reduce((sum, one) => sum + (one[size]?.[name]?.failures ?? 0), 0),
                ratioToBare: ratio('bare'),
                ratioToPortkey: ratio('portkey'),
              },
            ];
          }),
        ),
      ]),
    );
    const streamSummary = Object.fromEntries(
      names.map((name) => {
        const per = streamRuns.map((one) => one[name]).filter((value): value is StreamFigures => value !== undefined);
        const pick = (field: keyof StreamFigures) => medianOf(per.map((value) => value[field]));
        const added = (field: keyof StreamFigures) => medianOf(streamRuns.map((one) => (one[name]?.[field] ?? Number.NaN) - (one.direct?.[field] ?? Number.NaN)));
        return [name, { streams: per.reduce((sum, value) => sum + value.streams, 0), failures: per.reduce((sum, value) => sum + value.failures, 0), ttfbP50Milliseconds: pick('ttfbP50Milliseconds'), ttfbP99Milliseconds: pick('ttfbP99Milliseconds'), gapP50Milliseconds: pick('gapP50Milliseconds'), gapP99Milliseconds: pick('gapP99Milliseconds'), chunksPerStreamMedian: pick('chunksPerStreamMedian'), totalP50Milliseconds: pick('totalP50Milliseconds'), ...(name === 'direct' ? {} : { addedTtfbP50Milliseconds: added('ttfbP50Milliseconds'), addedGapP99Milliseconds: added('gapP99Milliseconds') }) }];
      }),
    );

    const results: ProxyBenchResults = {
      date: new Date().toISOString(),
      machine: { ...machineAtStart, loadAverageAtStart: machineAtStart.loadAverage, loadAverageAtEnd: loadavg().map((value) => round(value, 2)), loadAverageOneMinuteAfterEachRun: loadDuring.map((value) => round(value, 2)) },
      method: {
        runs: RUNS,
        secondsPerMeasurement: SECONDS,
        placement: `proxies (bare, rekey, Portkey) pinned to core ${PROXY_CPU}; the minimal upstream, the rate driver and wrk pinned to core ${LOAD_CPU} (taskset); one target loaded at a time, order rotating per run`,
        upstream: 'mini-upstream.ts: node:http, one fixed chat completion (≈300 B) per POST; streams: 20 SSE chunks 2 ms apart + a usage chunk + [DONE]',
        fixedRate: 'rate-driver.ts, an open-loop driver in its own Node process (node:http keep-alive, up to 256 connections): requests are due at fixed intervals and timed from their due time (no coordinated omission); added latency = target minus direct within the same run, median over runs',
        throughput: 'wrk -t1 -c32 (closed loop), headers from a Lua file; the direct row is the ceiling of the load side (upstream + wrk on one core)',
        bodies: 'request bodies of 1 KiB and 100 KiB (a chat completion whose message is padded), answer ≈300 B',
        streams: `${STREAM_ROUNDS} sequential streamed requests per target per run (20 warm-up), interleaved; time to first body byte and gaps between body chunks as the client sees them`,
        rss: `VmRSS of each proxy process every second during ${RSS_SECONDS} s at 1,000 req/s (after the runs above)`,
        rekey: 'rekey proxy as `rekey proxy` runs it (startProxy, SQLite store, one credential, a virtual token with an allowed-model list so the model check runs; no access log)',
        portkey: portkeyInstall === undefined ? 'not run (--no-portkey)' : `@portkey-ai/gateway ${portkeyInstall.version} (node build/start-server.js --headless), provider openai with x-portkey-custom-host pointing at the minimal upstream`,
      },
      fixedRate: rateSummary,
      throughput: throughputSummary,
      streams: streamSummary,
      rssMiB: rss,
      perRun: { fixedRate: rateRuns, throughput: throughputRuns, streams: streamRuns },
    };
    if (ONLY === undefined && PROFILE_DIRECTORY === undefined) {
      const output = resolve(import.meta.dirname, '../../../bench/proxy');
      writeFileSync(join(output, 'results.json'), JSON.stringify(results, null, 2) + '\n');
      writeBenchReadme(join(output, 'README.md'), results);
    }
    process.stdout.write(JSON.stringify({ fixedRate: results.fixedRate, throughput: results.throughput, streams: results.streams, rss: Object.fromEntries(Object.entries(rss).map(([name, values]) => [name, [values[0], values[values.length - 1], Math.max(...values)]])) }, null, 1) + '\n');
  } finally {
    for (const child of children) await child.stop();
    rmSync(directory, { recursive: true, force: true });
    if (portkeyInstall !== undefined) rmSync(portkeyInstall.directory, { recursive: true, force: true });
  }
}

await main();
