/**
 * `npm run demo`: a real zero-downtime rotation under load against the provider emulator.
 * A sample app (its own process) sends a steady stream of requests with the key from its
 * env file while rekey rotates that key several times back to back — mint, test,
 * deliver, promote, grace until the old key is quiet, revoke — and then once as an
 * emergency. Prints a timeline and the request counts; `--json` prints one JSON object.
 */
import { rmSync } from 'node:fs';
import { formatDuration } from '../core/duration.js';
import type { RotationProgress } from '../rotation/rotation-deps.js';
import { CREDENTIAL, setUpDemo, type DemoWorld } from './demo-setup.js';
import type { ConsumerStats } from './sample-consumer.js';

const NORMAL_ROTATIONS = 3;
const GRACE_QUIET_SECONDS = 2;
const GRACE_MAX_SECONDS = 30;

interface TimelineEntry {
  at: number;
  label: string;
  step: string;
  message: string;
}

const json = process.argv.includes('--json');
const started = Date.now();
const seconds = (): number => (Date.now() - started) / 1000;
const timeline: TimelineEntry[] = [];
let label = 'setup';

function say(text: string): void {
  if (!json) process.stdout.write(text + '\n');
}

function onProgress(progress: RotationProgress): void {
  if (progress.phase === 'begin') return;
  const entry = { at: seconds(), label, step: progress.step, message: progress.message };
  timeline.push(entry);
  say(`  ${entry.at.toFixed(2).padStart(7)}s  ${label.padEnd(11)} ${progress.step.padEnd(12)} ${progress.message}`);
}

function delta(before: ConsumerStats | undefined, after: ConsumerStats | undefined): { ok: number; failed: number } {
  return { ok: (after?.ok ?? 0) - (before?.ok ?? 0), failed: (after?.failed ?? 0) - (before?.failed ?? 0) };
}

async function waitForTraffic(world: DemoWorld, requests: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((world.latestStats()?.ok ?? 0) < requests) {
    if (Date.now() > deadline) throw new Error('the sample app sent no successful request within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function normalRotation(world: DemoWorld, index: number): Promise<Record<string, unknown>> {
  label = `rotation ${index}`;
  const before = world.latestStats();
  const rotationStart = seconds();
  const outcome = await world.executor.start({
    credential: CREDENTIAL, actor: 'demo', graceQuietSeconds: GRACE_QUIET_SECONDS, graceMaxSeconds: GRACE_MAX_SECONDS,
  });
  if (outcome.state !== 'done') throw new Error(`rotation ${index} ended in state ${outcome.state}: ${outcome.failure ?? outcome.hold?.reason ?? ''}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { rotationId: outcome.rotationId, state: outcome.state, seconds: Number((seconds() - rotationStart).toFixed(2)), requests: delta(before, world.latestStats()) };
}

async function emergencyRotation(world: DemoWorld): Promise<Record<string, unknown>> {
  label = 'emergency';
  const old = await world.vault.revealStage(world.credential, 'current');
  if (old === undefined) throw new Error('no current version before the emergency rotation');
  const before = world.latestStats();
  const emergencyStart = Date.now();
  let deadAt: number | undefined;
  const watcher = (async () => {
    while (deadAt === undefined && Date.now() - emergencyStart < 60_000) {
      if (!world.emulator.isKeyLive(old.value.reveal())) deadAt = Date.now();
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const outcome = await world.executor.start({ credential: CREDENTIAL, actor: 'demo', emergency: true });
  await watcher;
  if (deadAt === undefined) throw new Error('the old key was still alive 60 s after the emergency rotation started');
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    rotationId: outcome.rotationId,
    state: outcome.state,
    secondsToOldKeyDead: Number(((deadAt - emergencyStart) / 1000).toFixed(3)),
    secondsTotal: Number(((Date.now() - emergencyStart) / 1000).toFixed(2)),
    requests: delta(before, world.latestStats()),
  };
}

async function main(): Promise<void> {
  say('rekey demo: zero-downtime rotation of an OpenAI key under load, against the bundled emulator\n');
  const world = await setUpDemo(onProgress);
  try {
    say(`  emulator  ${world.emulator.url}`);
    say(`  vault     ${world.directory}/rekey.db (SQLite)`);
    say(`  app       pid ${world.consumer.pid}, ~60 requests/s with the key from ${world.directory}/app.env\n`);
    await waitForTraffic(world, 20);
    const beforeRotations = world.latestStats();
    const rotations: Array<Record<string, unknown>> = [];
    for (let index = 1; index <= NORMAL_ROTATIONS; index += 1) rotations.push(await normalRotation(world, index));
    const afterNormal = world.latestStats();
    const emergency = await emergencyRotation(world);
    const final = await world.stopConsumer();
    const normalFailed = delta(beforeRotations, afterNormal).failed;
    const summary = {
      credential: CREDENTIAL,
      durationSeconds: Number(seconds().toFixed(1)),
      requests: { ok: final.ok, failed: final.failed, fallbacks: final.fallbacks, reloads: final.reloads, failures: final.failures },
      normalRotations: { count: rotations.length, failedRequests: normalFailed, graceQuietSeconds: GRACE_QUIET_SECONDS, rotations },
      emergency,
      versions: (await world.store.listVersions(world.credential.id)).map((version) => ({ number: version.number, stage: version.stage, hint: version.hint })),
      timeline: timeline.map((entry) => ({ ...entry, at: Number(entry.at.toFixed(3)) })),
    };
    if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      say('\nsummary');
      say(`  requests         ${final.ok} ok, ${final.failed} failed (${final.fallbacks} served by the fallback key, ${final.reloads} reloads)`);
      say(`  normal rotations ${rotations.length}, failed requests during them: ${normalFailed}`);
      say(`  emergency        old key dead ${formatDuration(Number(emergency.secondsToOldKeyDead))} after the rotation started; failed requests: ${(emergency.requests as { failed: number }).failed}`);
      say(`  versions         ${summary.versions.map((version) => `v${version.number} ${version.stage}`).join(', ')}`);
      say(`  took             ${formatDuration(seconds())}`);
    }
    if (normalFailed > 0) process.exitCode = 1;
  } finally {
    await world.close();
    rmSync(world.directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
