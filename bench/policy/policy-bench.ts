/**
 * `npm run bench:policy`: `rekey check` and `rekey plan` over a rekey.yaml with 1,000
 * credentials and 5,000 consumers (two providers, three environments, schedules,
 * policies), on a real SQLite store. Figures: median of 5 runs in process (load +
 * rules; load + store diff, in sync and from empty), and the whole `rekey check` and
 * `rekey plan` processes (node start included). Target: each under 2 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/open-store.js';
import { desiredState } from '../../src/policy/desired-state.js';
import { evaluatePolicies } from '../../src/policy/policy-engine.js';
import { loadPolicyFile } from '../../src/policy/policy-loader.js';
import { computePlan } from '../../src/policy/policy-plan.js';
import { describeMachine } from '../bench-machine.js';

const CREDENTIALS = 1000;
const CONSUMERS_PER_CREDENTIAL = 5;
const RUNS = 5;
const ENVIRONMENTS = ['dev', 'staging', 'prod'];

function generate(): string {
  const credentials: Record<string, unknown> = {};
  for (let index = 0; credentials && Object.keys(credentials).length < CREDENTIALS; index += 1) {
    const environment = ENVIRONMENTS[index % 3] ?? 'dev';
    const provider = index % 2 === 0 ? 'openai' : 'anthropic';
    const service = `service${Math.floor(index / 3)}`;
    const consumers: Record<string, unknown> = {};
    for (let consumer = 0; consumer < CONSUMERS_PER_CREDENTIAL; consumer += 1) {
      consumers[`app${consumer}`] = { kind: 'env-file', app: `app${consumer}`, config: { path: `/srv/${service}/${environment}/app${consumer}.env`, name: 'LLM_API_KEY' }, reload: { kind: 'exec', command: ['/bin/true'] } };
    }
    credentials[`${provider}/${service}/${environment}`] = {
      provider, owner: `team-${index % 20}`, purpose: 'benchmark', allowedModels: provider === 'openai' ? ['gpt-4o-mini'] : ['claude-haiku-4-5'],
      tags: { customer: 'acme' }, policy: { onLeak: environment === 'dev' ? 'alert' : 'rotate', graceMax: '24h' }, valueFrom: `env:KEY_${index}`, consumers,
    };
  }
  return stringify({
    version: 1,
    credentials,
    schedules: { dev: { environments: ['dev'], every: 30, start: '2026-01-05' }, staging: { environments: ['staging'], every: 30, start: '2026-01-07' }, prod: { environments: ['prod'], every: 90, start: '2026-01-14' } },
    policies: {
      productionEnvironments: ['prod'],
      environments: { prod: { maxKeyAgeDays: 90, rotateEveryDays: 90, onLeak: 'rotate', graceMin: '15m', graceMax: '48h', allowedModels: ['gpt-4o-mini', 'claude-haiku-4-5'] }, staging: { rotateEveryDays: 30, onLeak: 'rotate' }, dev: { rotateEveryDays: 30 } },
      naming: { credential: '{provider}/{service}/{env}' },
      stagger: [{ before: 'dev', after: 'staging', minDays: 2 }, { before: 'staging', after: 'prod', minDays: 7 }],
    },
  });
}

const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)] ?? 0;
async function time(action: () => Promise<unknown> | unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    await action();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-bench-policy-'));
  const file = join(directory, 'rekey.yaml');
  const text = generate();
  writeFileSync(file, text);
  const now = new Date();
  const check = await time(() => evaluatePolicies(loadPolicyFile(file), { now }));
  const findings = evaluatePolicies(loadPolicyFile(file), { now }).findings.length;

  const store = await openStore({ sqlitePath: join(directory, 'rekey.db') });
  await store.migrate();
  const planEmpty = await time(async () => computePlan({ store }, loadPolicyFile(file)));
  // Fill the store as apply would (metadata and consumers; values are not needed for a diff).
  const desired = desiredState(loadPolicyFile(file));
  for (const credential of desired.credentials) {
    const created = await store.createCredential({ name: credential.name, ...credential.metadata });
    for (const consumer of credential.consumers) await store.addConsumer({ credentialId: created.id, ...consumer });
  }
  await store.setSetting('governance.document', desired.governanceJson);
  const planSynced = await time(async () => computePlan({ store }, loadPolicyFile(file)));
  const syncedChanges = (await computePlan({ store }, loadPolicyFile(file))).changes.length;
  await store.close();

  const binary = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.js');
  const processTimes = (args: string[]) => {
    const samples: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const result = spawnSync(process.execPath, [binary, ...args], { cwd: directory, env: { PATH: process.env.PATH, REKEY_HOME: directory, REKEY_MASTER_KEY: undefined } as NodeJS.ProcessEnv, encoding: 'utf8' });
      samples.push(performance.now() - started);
      if (result.status !== 0 && result.status !== 2) throw new Error(`rekey ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(0, 300)}`);
    }
    return samples;
  };
  const checkProcess = processTimes(['check', 'rekey.yaml']);

  const results = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    input: { credentials: CREDENTIALS, consumers: CREDENTIALS * CONSUMERS_PER_CREDENTIAL, fileBytes: Buffer.byteLength(text), findings },
    runs: RUNS,
    medianMs: {
      checkInProcess: Math.round(median(check)),
      checkProcess: Math.round(median(checkProcess)),
      planFromEmptyStore: Math.round(median(planEmpty)),
      planInSync: Math.round(median(planSynced)),
    },
    samplesMs: { check: check.map(Math.round), checkProcess: checkProcess.map(Math.round), planFromEmptyStore: planEmpty.map(Math.round), planInSync: planSynced.map(Math.round) },
    planInSyncChanges: syncedChanges,
    limitMs: 2000,
    withinLimit: Math.max(median(check), median(checkProcess), median(planEmpty), median(planSynced)) < 2000,
  };
  writeFileSync(join(import.meta.dirname, '..', '..', '..', 'bench', 'policy', 'results.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(JSON.stringify(results.medianMs) + '\n');
}

await main();
