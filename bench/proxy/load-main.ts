/**
 * The full load run, every server in its own process on loopback:
 *   A. official `openai` clients → rekey proxy (virtual tokens) → emulator, 250 req/s,
 *      during 20 back-to-back rotations: failed requests must be 0;
 *   B. official `openai` clients made rotation-proof by the SDK (keys from rekey serve by
 *      long poll) → emulator, same load and rotations: 0 failures;
 *   C. propagation: time from promote until each of 100 SDK clients uses the new key;
 *   D, E. as A and B, with rotations run by the rotation engine, whose grace ends when the
 *      proxy metering / SDK check-ins show the old version quiet.
 * Rotations are done as the rotation engine does them: mint at the emulator (Admin API),
 * store pending, promote, grace, revoke at the emulator, mark revoked.
 *
 *   npm run build && node dist/bench/proxy/load-main.js [--rotations 20] [--rate 250] [--grace-ms 1000]
 *
 * With REKEY_BENCH_DATABASE_URL (a PostgreSQL database to use, emptied first), the store is
 * PostgreSQL, servers hear promotes by LISTEN/NOTIFY, and C runs against two serve instances.
 * Writes bench/proxy/load-results.json (or load-results-postgres.json).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { systemClock } from '../../src/core/clock.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { createRotationUsageSources } from '../../src/access/rotation-usage-sources.js';
import { createKeySource, rotationProofOpenAI, type KeySource } from '../../src/sdk/index.js';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { spawnRole, type RunningChild } from './bench-processes.js';
import { createBenchSetup, describeMachine, percentile, round, type BenchSetup, type MintedKey } from './bench-setup.js';
import { runLoad, type LoadResult } from './load-generator.js';
import { writeBenchReadme } from './bench-readme.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : Number(process.argv[index + 1]);
  return value === undefined || !Number.isFinite(value) || value < 0 ? fallback : value;
}

const ROTATIONS = option('rotations', 20);
const RATE = option('rate', 250);
const GRACE_MS = option('grace-ms', 1000);
const PROPAGATION_CLIENTS = 100;
const ENGINE_ROTATIONS = option('engine-rotations', 5);
/** Background errors of SDK key sources (refresh, check-in), by message: value-free by contract. */
const sdkErrors = new Map<string, number>();
const onSdkError = (error: Error) => sdkErrors.set(error.message, (sdkErrors.get(error.message) ?? 0) + 1);
const DATABASE_URL = process.env.REKEY_BENCH_DATABASE_URL;
const NAME = 'openai/load/prod';

/** Mint → pending → promote → grace → revoke at the provider → mark revoked. */
function createRotator(setup: BenchSetup) {
  let live: MintedKey = setup.firstKey;
  let count = 0;
  /** `beforePromote` runs just before the promote with the new version number (propagation starts the clock there). */
  return async function rotate(graceMilliseconds: number, beforePromote?: (version: number) => void): Promise<void> {
    count += 1;
    const minted = await setup.mint(`load-${count}`);
    const current = await setup.store.getVersionByStage(setup.credential.id, 'current');
    const pending = await setup.vault.putVersion({ credential: setup.credential, value: new SecretValue(minted.value), stage: 'pending', providerKeyId: minted.keyId, mintedBy: 'load' });
    beforePromote?.(pending.number);
    await setup.store.promote(setup.credential.id, pending.number, { expectedCurrent: current?.number ?? null });
    await new Promise((resolveWait) => setTimeout(resolveWait, graceMilliseconds));
    await setup.revoke(live);
    if (current !== undefined) await setup.store.setVersionStage(setup.credential.id, current.number, 'previous', 'revoked');
    live = minted;
  };
}

/**
 * Rotations by the rotation engine itself (src/rotation): mint in the credential's project,
 * test, promote, grace that ends when the proxy metering / SDK check-ins show the old
 * version quiet for 2 s, revoke and confirm dead.
 */
function createEngineRotator(setup: BenchSetup) {
  const provider = createOpenAIProvider({ adminKey: new SecretValue(setup.adminKey), baseUrl: setup.openaiBaseUrl });
  const executor = createRotationExecutor({
    store: setup.store,
    vault: setup.vault,
    audit: createAuditLog({ store: setup.store, clock: systemClock }),
    providers: { resolve: () => provider },
    sinks: {
      create: async () => { throw new Error('the load run has no sink consumers'); },
      reloadAction: () => { throw new Error('the load run has no sink consumers'); },
    },
    clock: systemClock,
    // The proxy flushes its meter every 2 s; load-run SDK clients check in every second.
    usageSources: createRotationUsageSources({ reports: setup.store, clock: systemClock, resolutionSeconds: { proxy: 3, sdk: 2 } }),
    settings: { gracePollMinMs: 250, gracePollMaxMs: 500, testTimeoutMs: 20_000, revokeConfirmTimeoutMs: 20_000 },
  });
  const seconds: number[] = [];
  const rotate = async () => {
    const started = performance.now();
    const outcome = await executor.start({ credential: NAME, actor: 'load', graceQuietSeconds: 2, graceMaxSeconds: 60 });
    if (outcome.state !== 'done') throw new Error(`rotation ended in ${outcome.state}: ${outcome.failure ?? outcome.hold?.reason ?? ''}`);
    seconds.push(round((performance.now() - started) / 1000, 1));
  };
  return { rotate, seconds };
}

async function loadDuringRotations(clients: OpenAI[], rotate: (graceMilliseconds: number) => Promise<void>, rotations = ROTATIONS): Promise<LoadResult & { rotations: number; rotationSeconds: number }> {
  let running = true;
  const load = runLoad({ clients, ratePerSecond: RATE, concurrency: 48, stop: () => !running });
  await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  const started = performance.now();
  for (let index = 0; index < rotations; index += 1) await rotate(GRACE_MS);
  const rotationSeconds = (performance.now() - started) / 1000;
  await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  running = false;
  return { ...(await load), rotations, rotationSeconds: round(rotationSeconds, 1) };
}

async function propagation(servers: RunningChild[], token: string, rotate: ReturnType<typeof createRotator>) {
  const sources: KeySource[] = Array.from({ length: PROPAGATION_CLIENTS }, (_unused, index) =>
    createKeySource({ credential: NAME, from: { url: (servers[index % servers.length] as RunningChild).url, token } }),
  );
  await Promise.all(sources.map((source) => source.current()));
  const delays: number[] = [];
  const perRotation: Array<{ p50: number; max: number }> = [];
  try {
    for (let index = 0; index < ROTATIONS; index += 1) {
      const samples: number[] = [];
      let expected = -1;
      let promotedAt = 0;
      const arrived = sources.map(
        (source) =>
          new Promise<void>((resolveArrived) => {
            const check = (version: number | null | undefined) => {
              if (expected < 0 || version !== expected) return false;
              samples.push(performance.now() - promotedAt);
              return true;
            };
            const stop = source.onChange((keys) => {
              if (check(keys[0]?.version)) {
                stop();
                resolveArrived();
              }
            });
          }),
      );
      // Short grace: propagation is what is measured here; the old key stays valid until revoked.
      await rotate(0, (version) => {
        expected = version;
        promotedAt = performance.now();
      });
      await Promise.all(arrived);
      samples.sort((left, right) => left - right);
      perRotation.push({ p50: round(percentile(samples, 0.5), 1), max: round(samples.at(-1) ?? Number.NaN, 1) });
      delays.push(...samples);
    }
  } finally {
    await Promise.all(sources.map((source) => source.close()));
  }
  delays.sort((left, right) => left - right);
  return {
    clients: PROPAGATION_CLIENTS,
    serverInstances: servers.length,
    rotations: ROTATIONS,
    samples: delays.length,
    p50Milliseconds: round(percentile(delays, 0.5), 1),
    p99Milliseconds: round(percentile(delays, 0.99), 1),
    maxMilliseconds: round(delays.at(-1) ?? Number.NaN, 1),
    perRotation,
  };
}

interface Scenario {
  setup: BenchSetup;
  proxyTokens: string[];
  readToken: string;
  proxy: RunningChild;
  servers: RunningChild[];
  rotate: ReturnType<typeof createRotator>;
  close(): Promise<void>;
}

/** A fresh emulator, database and servers per scenario, so one scenario's history does not slow the next. */
async function startScenario(): Promise<Scenario> {
  const setup = await createBenchSetup(NAME, { databaseUrl: DATABASE_URL });
  const children: RunningChild[] = [];
  try {
    const tokens = setup.store;
    const proxyTokens = await Promise.all([0, 1, 2, 3].map(async (index) => (await issueAccessToken(tokens, { kind: 'proxy', name: `load-app-${index}`, credentials: [NAME], allowedModels: [], createdBy: 'load' }, new Date())).secret));
    const readToken = (await issueAccessToken(tokens, { kind: 'read', name: 'load-sdk', credentials: [NAME], allowedModels: [], createdBy: 'load' }, new Date())).secret;
    const proxy = await spawnRole('proxy', setup.childEnv);
    children.push(proxy);
    const servers = [await spawnRole('serve', setup.childEnv)];
    children.push(...servers);
    if (DATABASE_URL !== undefined) {
      servers.push(await spawnRole('serve', setup.childEnv));
      children.push(servers[1] as RunningChild);
    }
    return {
      setup, proxyTokens, readToken, proxy, servers, rotate: createRotator(setup),
      async close() {
        for (const child of children) await child.stop();
        await setup.close();
      },
    };
  } catch (error) {
    for (const child of children) await child.stop();
    await setup.close();
    throw error;
  }
}

async function main(): Promise<void> {
  const machine = describeMachine();

  process.stderr.write(`A: proxy, ${ROTATIONS} rotations at ${RATE} req/s\n`);
  let scenario = await startScenario();
  const { proxyTokens } = scenario;
  const proxyUrl = scenario.proxy.url;
  const proxyClients = Array.from({ length: 8 }, (_unused, index) => new OpenAI({ apiKey: proxyTokens[index % proxyTokens.length], baseURL: `${proxyUrl}/v1`, maxRetries: 0, timeout: 30_000 }));
  const throughProxy = await loadDuringRotations(proxyClients, scenario.rotate).finally(() => scenario.close());
  process.stderr.write(`   ${JSON.stringify(throughProxy)}\n`);

  process.stderr.write(`B: SDK, ${ROTATIONS} rotations at ${RATE} req/s\n`);
  scenario = await startScenario();
  const { servers, readToken, setup } = scenario;
  const sdkSources = Array.from({ length: 8 }, (_unused, index) => createKeySource({ credential: NAME, from: { url: (servers[index % servers.length] as RunningChild).url, token: readToken, instance: `pod-${index}` }, onError: onSdkError }));
  const sdkClients = sdkSources.map((source) => rotationProofOpenAI(OpenAI, source, { baseURL: setup.openaiBaseUrl, maxRetries: 0, timeout: 30_000 }));
  const throughSdk = await loadDuringRotations(sdkClients, scenario.rotate).finally(async () => {
    await Promise.all(sdkSources.map((source) => source.close()));
    await scenario.close();
  });
  process.stderr.write(`   ${JSON.stringify(throughSdk)}\n`);

  process.stderr.write(`C: propagation to ${PROPAGATION_CLIENTS} SDK clients over ${ROTATIONS} promotes\n`);
  scenario = await startScenario();
  const current = scenario;
  const propagated = await propagation(current.servers, current.readToken, current.rotate).finally(() => current.close());
  process.stderr.write(`   p50 ${propagated.p50Milliseconds} ms, p99 ${propagated.p99Milliseconds} ms\n`);

  process.stderr.write(`D: proxy, ${ENGINE_ROTATIONS} rotations by the rotation engine (grace on observed usage)\n`);
  scenario = await startScenario();
  const engineProxy = (() => {
    const current_ = scenario;
    const engine = createEngineRotator(current_.setup);
    const clients = Array.from({ length: 8 }, (_unused, index) => new OpenAI({ apiKey: current_.proxyTokens[index % current_.proxyTokens.length], baseURL: `${current_.proxy.url}/v1`, maxRetries: 0, timeout: 30_000 }));
    return loadDuringRotations(clients, engine.rotate, ENGINE_ROTATIONS)
      .then((result) => ({ ...result, secondsPerRotation: engine.seconds }))
      .finally(() => current_.close());
  })();
  const throughEngineProxy = await engineProxy;
  process.stderr.write(`   ${JSON.stringify(throughEngineProxy)}\n`);

  process.stderr.write(`E: SDK, ${ENGINE_ROTATIONS} rotations by the rotation engine (grace on observed usage)\n`);
  scenario = await startScenario();
  const engineSdk = await (async () => {
    const current_ = scenario;
    const engine = createEngineRotator(current_.setup);
    const sources = Array.from({ length: 8 }, (_unused, index) => createKeySource({ credential: NAME, from: { url: (current_.servers[index % current_.servers.length] as RunningChild).url, token: current_.readToken, instance: `pod-${index}`, checkInIntervalMilliseconds: 1_000 }, onError: onSdkError }));
    const clients = sources.map((source) => rotationProofOpenAI(OpenAI, source, { baseURL: current_.setup.openaiBaseUrl, maxRetries: 0, timeout: 30_000 }));
    try {
      return { ...(await loadDuringRotations(clients, engine.rotate, ENGINE_ROTATIONS)), secondsPerRotation: engine.seconds };
    } finally {
      await Promise.all(sources.map((source) => source.close()));
      await current_.close();
    }
  })();
  process.stderr.write(`   ${JSON.stringify(engineSdk)}\n`);

  const results = {
    date: new Date().toISOString(),
    machine,
    store: DATABASE_URL === undefined ? 'SQLite (WAL), servers poll version stages every 250 ms' : 'PostgreSQL, servers woken by LISTEN/NOTIFY from the versions stage trigger (poll every 2 s as fallback); two serve instances',
    method: {
      clients: 'official openai SDK (maxRetries 0, one request in five streamed), 8 clients, 48 in flight at most, paced',
      rotation: `mint at the emulator Admin API → pending → promote → ${GRACE_MS} ms grace → revoke at the emulator → mark revoked`,
      processes: 'emulator, rekey proxy and rekey serve each in their own process (fresh ones per scenario); clients and rotations in the main process; all on loopback',
    },
    proxy: throughProxy,
    sdk: throughSdk,
    propagation: propagated,
    sdkBackgroundErrors: Object.fromEntries(sdkErrors),
    engine: {
      rotation: 'the rotation engine (src/rotation): mint in the project, test, promote, grace until the old version is quiet for 2 s in proxy metering / SDK check-ins, revoke at the provider and confirm dead',
      proxy: throughEngineProxy,
      sdk: engineSdk,
    },
  };
  const suffix = DATABASE_URL === undefined ? '' : '-postgres';
  const output = resolve(import.meta.dirname, '../../../bench/proxy');
  writeFileSync(join(output, `load-results${suffix}.json`), JSON.stringify(results, null, 2) + '\n');
  // The README shows both the proxy benchmark and these figures.
  // (Only from a results.json of the new benchmark: the README is left alone until one exists.)
  const benchResults = existsSync(join(output, 'results.json')) ? (JSON.parse(readFileSync(join(output, 'results.json'), 'utf8')) as Parameters<typeof writeBenchReadme>[1]) : undefined;
  if (benchResults?.fixedRate !== undefined) writeBenchReadme(join(output, 'README.md'), benchResults);
  process.stdout.write(JSON.stringify({ proxy: throughProxy, sdk: throughSdk, propagation: { ...propagated, perRotation: undefined } }, null, 2) + '\n');
  if (throughProxy.failures + throughSdk.failures + throughEngineProxy.failures + engineSdk.failures > 0) process.exitCode = 1;
}

await main();
