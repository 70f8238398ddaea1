/**
 * Shared by the load tests: a paced load of official `openai` clients, back-to-back
 * rotations done by hand the way the rotation engine does them (mint at the emulator →
 * pending → promote → grace → revoke at the emulator → mark revoked), and percentiles.
 * Everything runs on loopback. REKEY_LOAD_FULL=1 selects the full run (20 rotations,
 * 100 clients) and writes figures; the default is a short run that checks correctness.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import OpenAI from 'openai';
import type { RunningEmulator } from '../../src/emulator/emulator.js';
import type { KeyFixture } from '../server/key-fixture.js';

export const FULL = process.env.REKEY_LOAD_FULL === '1';

export interface LoadResult {
  requests: number;
  failures: number;
  failuresByKind: Record<string, number>;
  seconds: number;
  ratePerSecond: number;
  latencyP50Milliseconds: number;
  latencyP99Milliseconds: number;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

const round = (value: number) => Math.round(value * 10) / 10;

/**
 * Sends chat completions (one in five streamed) through `clients`, paced at `ratePerSecond`
 * with at most `concurrency` in flight, until `stop()` says so. Clients have maxRetries 0:
 * a failure is a failure.
 */
export async function runLoad(options: { clients: OpenAI[]; ratePerSecond: number; concurrency: number; stop: () => boolean }): Promise<LoadResult> {
  const { clients, ratePerSecond, concurrency, stop } = options;
  const started = performance.now();
  const latencies: number[] = [];
  const failuresByKind: Record<string, number> = {};
  let next = 0;
  const worker = async (workerIndex: number) => {
    while (!stop()) {
      const index = next;
      next += 1;
      const due = started + (index * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stop()) return;
      const client = clients[(index + workerIndex) % clients.length] as OpenAI;
      const begin = performance.now();
      try {
        if (index % 5 === 0) {
          const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `load ${index}` }], stream: true });
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
          if (text === '') throw new Error('empty stream');
        } else {
          const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `load ${index}` }] });
          if (reply.choices.length === 0) throw new Error('no choices');
        }
        latencies.push(performance.now() - begin);
      } catch (error) {
        const kind = error instanceof OpenAI.APIError ? `status ${error.status ?? 'none'}` : (error as Error).name;
        failuresByKind[kind] = (failuresByKind[kind] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_unused, index) => worker(index)));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((left, right) => left - right);
  const failures = Object.values(failuresByKind).reduce((sum, count) => sum + count, 0);
  return {
    requests: latencies.length + failures,
    failures,
    failuresByKind,
    seconds: round(seconds),
    ratePerSecond: round((latencies.length + failures) / seconds),
    latencyP50Milliseconds: round(percentile(latencies, 0.5)),
    latencyP99Milliseconds: round(percentile(latencies, 0.99)),
  };
}

export interface RotationDriver {
  /** One full rotation; resolves after the old key is dead at the emulator. */
  rotate(): Promise<{ version: number; promotedAt: number }>;
  rotations: number;
}

/**
 * Rotations as the engine does them, by hand: mint a key at the emulator (a new project
 * service account), store it pending, promote, keep the old key alive for `graceMilliseconds`,
 * then revoke it at the emulator and mark it revoked. `onPromote` runs right before promote.
 */
export function createRotationDriver(options: {
  fixture: KeyFixture;
  emulator: RunningEmulator;
  credential: string;
  first: { projectId: string; serviceAccountId: string };
  graceMilliseconds: number;
  onPromote?: (version: number) => void;
}): RotationDriver {
  const { fixture, emulator, credential } = options;
  const admin = new OpenAI({ apiKey: null, adminAPIKey: emulator.adminKeys.openai.reveal(), baseURL: emulator.openaiBaseUrl, maxRetries: 2 });
  let live = options.first;
  const driver: RotationDriver = {
    rotations: 0,
    async rotate() {
      const minted = await emulator.seedOpenAIProject(`${credential.replace(/\//g, '-')}-r${driver.rotations + 1}`);
      const stored = await fixture.store.getCredential(credential);
      if (stored === undefined) throw new Error('no credential');
      const current = await fixture.store.getVersionByStage(stored.id, 'current');
      const { SecretValue } = await import('../../src/core/secret-value.js');
      const pending = await fixture.vault.putVersion({ credential: stored, value: new SecretValue(minted.key.reveal()), stage: 'pending', providerKeyId: minted.keyId, mintedBy: 'load-test' });
      options.onPromote?.(pending.number);
      const promotedAt = performance.now();
      await fixture.store.promote(stored.id, pending.number, { expectedCurrent: current?.number ?? null });
      await new Promise((resolve) => setTimeout(resolve, options.graceMilliseconds));
      await admin.admin.organization.projects.serviceAccounts.delete(live.serviceAccountId, { project_id: live.projectId });
      if (current !== undefined) await fixture.store.setVersionStage(stored.id, current.number, 'previous', 'revoked');
      live = minted;
      driver.rotations += 1;
      return { version: pending.number, promotedAt };
    },
  };
  return driver;
}

/** Writes figures next to the benchmark when running the full load test. */
export function writeLoadFigures(name: string, figures: Record<string, unknown>): void {
  if (!FULL) return;
  const file = resolve(import.meta.dirname, `../../bench/proxy/load-${name}.json`);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, ...figures }, null, 2) + '\n');
}
