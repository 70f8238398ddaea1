/**
 * Ctrl+C (or SIGTERM) during a rotation: stop the status line, free this process's lock at
 * once, say what state the rotation is in and print the exact command to continue, then
 * exit 130. Stopping anywhere is safe: the executor journals every step and `resume`
 * replays or reconciles it (the same path as a killed worker). A second Ctrl+C exits at once.
 */
import { hostname } from 'node:os';
import type { CliContext } from './cli-context.js';
import type { ProgressReporter } from './rotation-progress.js';

/** What a rotation stopped in a given state means for the apps, and how to go on. */
export function continueAdvice(rotationId: string, state: string): { meaning: string; commands: string[] } {
  const resume = `rekey rotations resume ${rotationId}`;
  switch (state) {
    case 'lock':
    case 'mint':
    case 'test':
    case 'deliver':
      return {
        meaning: 'before promote: the old key is still current and works',
        commands: [resume, `rekey rotations abort ${rotationId} --yes   # or discard the new key`],
      };
    case 'promote':
      return { meaning: 'promoting the new key: both keys work', commands: [resume] };
    case 'grace':
      return {
        meaning: 'grace: the new key is current and delivered, the old key still works until it is revoked',
        commands: [resume, `rekey rotations end-grace ${rotationId} --yes   # or revoke the old key now`],
      };
    case 'revoke':
    case 'emergency-revoke':
    case 'finish':
      return { meaning: 'revoking the old key', commands: [resume] };
    case 'hold':
      return { meaning: 'held for a person', commands: [resume, `rekey rotations rollback ${rotationId} --yes`] };
    case 'awaiting-value':
      return { meaning: 'waiting for a key a person creates', commands: [`${resume} --value-from-stdin`] };
    case 'rollback':
      return { meaning: 'rolling back', commands: [resume] };
    default:
      return { meaning: `state ${state}`, commands: [`rekey rotations show ${rotationId}`] };
  }
}

export interface InterruptTarget {
  credential?: string | undefined;
  rotationId?: string | undefined;
}

async function describeInterrupted(context: CliContext, reporter: ProgressReporter, target: InterruptTarget): Promise<string[]> {
  const { store } = context;
  let rotationId = reporter.last()?.rotationId ?? target.rotationId;
  const credential = target.credential === undefined ? undefined : await store.getCredential(target.credential);
  if (rotationId === undefined && credential !== undefined) {
    rotationId = (await store.listRotations({ credentialId: credential.id, active: true, limit: 1 }))[0]?.id;
  }
  const record = rotationId === undefined ? undefined : await store.getRotation(rotationId);
  if (record === undefined || rotationId === undefined) return ['interrupted before a rotation started: nothing changed'];
  // Free the lock now rather than leave it to expire (others also detect a dead holder on this host).
  const leaseName = `rotation:${record.credentialId}`;
  const lease = await store.getLease(leaseName);
  if (lease !== undefined && lease.holder.startsWith(`${hostname()}:${process.pid}:`)) await store.releaseLease(leaseName, lease.holder);
  const name = (await store.getCredentialById(record.credentialId))?.name ?? record.credentialId;
  if (['done', 'failed', 'rolled-back'].includes(record.state)) return [`interrupted: rotation ${rotationId} of ${name} had already ended (${record.state})`];
  const advice = continueAdvice(rotationId, record.state);
  return [
    `interrupted: rotation ${rotationId} of ${name} stopped in state "${record.state}" (${advice.meaning})`,
    'continue it with:',
    ...advice.commands.map((command) => `  ${command}`),
  ];
}

/** Run `work` with Ctrl+C turned into a state report and the command to continue. */
export async function withInterruptNotice<T>(
  context: CliContext,
  reporter: ProgressReporter,
  target: InterruptTarget,
  work: () => Promise<T>,
): Promise<T> {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    reporter.stop();
    const code = signal === 'SIGTERM' ? 143 : 130;
    describeInterrupted(context, reporter, target).then(
      (lines) => {
        process.stderr.write('\n' + lines.join('\n') + '\n');
        process.exit(code);
      },
      () => {
        process.stderr.write('\ninterrupted: see `rekey rotations list --active` and continue with `rekey rotations resume <id>`\n');
        process.exit(code);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter.stop();
  }
}
