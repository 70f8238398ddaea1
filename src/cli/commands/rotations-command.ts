/** `rekey rotations list|show|resume|abort|rollback|end-grace`. */
import type { Command } from 'commander';
import { NotFoundError } from '../../core/errors.js';
import type { RotationRecord } from '../../core/types.js';
import { withCliContext } from '../cli-context.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { withInterruptNotice } from '../rotation-interrupt.js';
import { createProgressReporter } from '../rotation-progress.js';
import { confirm, readSecretValue } from '../secret-input.js';
import { openRotationExecutor } from '../cli-services.js';
import { serverUrl } from '../server-client.js';
import { outcomeJson, printOutcome, printOutcomeWire, progressPrinter } from './rotate-command.js';

interface Row {
  record: RotationRecord;
  credential: string;
}

const columns: Array<Column<Row>> = [
  { header: 'ROTATION', value: (row) => row.record.id },
  { header: 'CREDENTIAL', value: (row) => row.credential },
  { header: 'KIND', value: (row) => row.record.kind },
  { header: 'STATE', value: (row) => row.record.state },
  { header: 'STARTED', value: (row) => row.record.createdAt.toISOString() },
  { header: 'FINISHED', value: (row) => row.record.finishedAt?.toISOString() ?? '' },
  { header: 'NOTE', value: (row) => row.record.error ?? '' },
];

function rowJson(row: Row): Record<string, unknown> {
  return {
    rotation: row.record.id,
    credential: row.credential,
    kind: row.record.kind,
    state: row.record.state,
    error: row.record.error,
    createdAt: row.record.createdAt.toISOString(),
    updatedAt: row.record.updatedAt.toISOString(),
    finishedAt: row.record.finishedAt?.toISOString() ?? null,
  };
}

type Decision = 'abort' | 'rollback' | 'end-grace';

async function decide(rotationId: string, decision: Decision, options: { yes?: boolean; json?: boolean }): Promise<void> {
  const question = {
    abort: `abort rotation ${rotationId} (its pending key is discarded and revoked)?`,
    rollback: `roll back rotation ${rotationId} (the old key becomes current again and is redelivered; the new key is revoked)?`,
    'end-grace': `end the grace of rotation ${rotationId} now and revoke the old key, even though it may still be in use?`,
  }[decision];
  await confirm(question, options.yes);
  if (serverUrl() !== undefined) {
    const { openApiClient } = await import('../server-client.js');
    const { rotationOutcomeSchema } = await import('../../server/api/rotation-wire.js');
    const { z } = await import('zod');
    const answer = await openApiClient().request('POST', `/v1/rotations/${encodeURIComponent(rotationId)}/${decision}`, z.union([rotationOutcomeSchema, z.object({ rotation: z.string(), requested: z.literal('end-grace') })]));
    if ('requested' in answer) {
      if (options.json === true) printJson(answer);
      else process.stdout.write(`asked the worker running rotation ${rotationId} to end its grace; it revokes the old key within seconds\n`);
    } else if (options.json === true) printJson(answer);
    else printOutcomeWire(answer);
    return;
  }
  await withCliContext(async (context) => {
    const executor = await openRotationExecutor(context, progressPrinter(options.json !== true));
    // A grace that a live worker is running: ask it (it checks every few seconds).
    const record = await context.store.getRotation(rotationId);
    const lease = record === undefined ? undefined : await context.store.getLease(`rotation:${record.credentialId}`);
    const { isHolderGone } = await import('../../rotation/lease-holder.js');
    const workerLive = lease !== undefined && lease.expiresAt > context.clock.now() && !isHolderGone(lease.holder);
    if (decision === 'end-grace' && record?.state === 'grace' && workerLive) {
      await executor.request(rotationId, 'end-grace', { actor: context.actor, reason: 'asked from the command line' });
      if (options.json === true) printJson({ rotation: rotationId, requested: 'end-grace' });
      else process.stdout.write(`asked the worker running rotation ${rotationId} to end its grace; it revokes the old key within seconds\n`);
      return;
    }
    if (decision === 'end-grace' && record?.state === 'grace' && options.json !== true) {
      // Nobody is running it (its process exited): end the grace here, in this process.
      process.stderr.write(`no worker is running rotation ${rotationId}; ending its grace here and revoking the old key\n`);
      process.stderr.write(`hint: to keep waiting for the old key to be quiet instead, run \`rekey rotations resume ${rotationId}\`\n`);
    }
    const outcome = await executor.decide(rotationId, decision, context.actor);
    if (options.json === true) printJson(outcomeJson(outcome));
    else printOutcome(outcome);
  });
}

export function register(program: Command): void {
  const rotations = program.command('rotations').description('Inspect and operate rotations');

  rotations
    .command('list')
    .description('List rotations, newest first')
    .option('--credential <name>', 'only this credential')
    .option('--active', 'only unfinished rotations')
    .option('--limit <count>', 'at most this many', '50')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { credential?: string; active?: boolean; limit: string; output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const rows = serverUrl() !== undefined ? await remoteList(options) : await withCliContext(async ({ store }) => {
        const filter: { credentialId?: string; active?: boolean; limit?: number } = { limit: Math.max(1, Number.parseInt(options.limit, 10) || 50) };
        if (options.credential !== undefined) {
          const credential = await store.getCredential(options.credential);
          if (credential === undefined) throw new NotFoundError(`no credential named ${options.credential}`);
          filter.credentialId = credential.id;
        }
        if (options.active === true) filter.active = true;
        const records = await store.listRotations(filter);
        const names = new Map<string, string>();
        const result: Row[] = [];
        for (const record of records) {
          if (!names.has(record.credentialId)) names.set(record.credentialId, (await store.getCredentialById(record.credentialId))?.name ?? record.credentialId);
          result.push({ record, credential: names.get(record.credentialId) ?? record.credentialId });
        }
        return result;
      });
      printList(rows, columns, format, rowJson);
    });

  rotations
    .command('show <rotation>')
    .description('Show a rotation: state, versions, timings, deliveries and its step journal')
    .option('--json', 'print JSON')
    .action(async (rotationId: string, options: { json?: boolean }) => {
      if (serverUrl() !== undefined) return remoteShow(rotationId, options);
      return withCliContext(async ({ store }) => {
        const record = await store.getRotation(rotationId);
        if (record === undefined) throw new NotFoundError(`no rotation ${rotationId}`, { hint: 'list them with `rekey rotations list`' });
        const journal = await store.listJournal(rotationId);
        const { readRotationData } = await import('../../rotation/rotation-data.js');
        const data = readRotationData(record);
        const outcome = { rotationId, credential: data.credentialName, state: record.state, hold: data.machine.hold, failure: data.machine.failure, record, data };
        if (options.json === true) {
          printJson({
            ...outcomeJson(outcome),
            journal: journal.map((entry) => ({ seq: entry.seq, at: entry.at.toISOString(), step: entry.step, phase: entry.phase, detail: entry.detail })),
          });
          return;
        }
        process.stdout.write(`${colour.bold(`rotation ${rotationId}`)} ${data.credentialName} (${record.kind})\n`);
        process.stdout.write(`  state: ${record.state}${record.error === null ? '' : ` — ${record.error}`}\n`);
        process.stdout.write(`  versions: v${data.machine.oldVersion} → ${data.machine.pendingVersion === null ? '(not minted)' : `v${data.machine.pendingVersion}`}\n`);
        process.stdout.write(`  grace: quiet ${data.options.graceQuietSeconds}s, max ${data.options.graceMaxSeconds}s${data.grace === undefined ? '' : `; ${data.grace.action}: ${data.grace.reason}`}\n`);
        for (const delivery of data.deliveries ?? []) {
          process.stdout.write(`  delivered: ${delivery.consumer} → ${delivery.sink} (${delivery.verified}${delivery.reloaded ? ', reloaded' : ''})\n`);
        }
        if ((data.forgottenConsumers?.length ?? 0) > 0) process.stdout.write(`  forgotten consumers: ${data.forgottenConsumers?.join(', ')}\n`);
        process.stdout.write('  journal:\n');
        for (const entry of journal) {
          const event = entry.phase === 'end' && typeof entry.detail['event'] === 'object' ? ` → ${String((entry.detail['event'] as { type?: unknown }).type)}` : '';
          process.stdout.write(`    ${entry.at.toISOString()}  ${entry.step} ${entry.phase}${event}\n`);
        }
      });
    });

  rotations
    .command('resume <rotation>')
    .description('Continue a rotation after a crash or a hold, or with the key a person created')
    .option('--value-from-stdin', 'the new key value, for a rotation awaiting one')
    .option('--json', 'print JSON')
    .action(async (rotationId: string, options: { valueFromStdin?: boolean; json?: boolean }) => {
      const suppliedValue = options.valueFromStdin === true ? await readSecretValue(`new key for rotation ${rotationId}`) : undefined;
      if (serverUrl() !== undefined) {
        const { openApiClient } = await import('../server-client.js');
        const { rotationOutcomeSchema } = await import('../../server/api/rotation-wire.js');
        const outcome = await openApiClient().request('POST', `/v1/rotations/${encodeURIComponent(rotationId)}/resume`, rotationOutcomeSchema, suppliedValue === undefined ? {} : { value: suppliedValue.reveal() });
        if (options.json === true) {
          printJson(outcome);
          if (outcome.state !== 'done' && outcome.state !== 'rolled-back' && outcome.state !== 'awaiting-value') process.exitCode = 1;
        } else printOutcomeWire(outcome);
        return;
      }
      await withCliContext(async (context) => {
        const reporter = createProgressReporter();
        const executor = await openRotationExecutor(context, options.json !== true ? reporter.onProgress : undefined);
        const outcome = await withInterruptNotice(context, reporter, { rotationId }, () => executor.resume(rotationId, { actor: context.actor, suppliedValue }));
        if (options.json === true) {
          printJson(outcomeJson(outcome));
          if (outcome.state !== 'done' && outcome.state !== 'rolled-back' && outcome.state !== 'awaiting-value') process.exitCode = 1;
        } else {
          printOutcome(outcome);
        }
      });
    });

  for (const [name, description] of [
    ['abort', 'Abort a rotation before promote: discard and revoke its pending key'],
    ['rollback', 'Roll back: before promote discard the new key; after promote make the old key current again and redeliver it'],
    ['end-grace', 'End a held grace now and revoke the old key (a person overrides the traffic check)'],
  ] as const) {
    rotations
      .command(`${name} <rotation>`)
      .description(description)
      .option('--yes', 'do not ask for confirmation')
      .option('--json', 'print JSON')
      .action((rotationId: string, options: { yes?: boolean; json?: boolean }) => decide(rotationId, name, options));
  }
}

async function remoteList(options: { credential?: string; active?: boolean; limit: string }): Promise<Row[]> {
  const { openApiClient } = await import('../server-client.js');
  const { rotationRowSchema } = await import('../../server/api/api-schemas.js');
  const { z } = await import('zod');
  const query = new URLSearchParams({ limit: String(Math.min(1000, Math.max(1, Number.parseInt(options.limit, 10) || 50))) });
  if (options.credential !== undefined) query.set('credential', options.credential);
  if (options.active === true) query.set('active', 'true');
  const rows = await openApiClient().request('GET', `/v1/rotations?${query.toString()}`, z.array(rotationRowSchema));
  return rows.map((row) => ({
    credential: row.credential,
    record: {
      id: row.rotation,
      credentialId: '',
      kind: row.kind,
      state: row.state as RotationRecord['state'],
      data: {},
      revision: 0,
      error: row.error,
      createdAt: new Date(row.createdAt),
      updatedAt: new Date(row.updatedAt),
      finishedAt: row.finishedAt === null ? null : new Date(row.finishedAt),
    } as RotationRecord,
  }));
}

async function remoteShow(rotationId: string, options: { json?: boolean }): Promise<void> {
  const { openApiClient } = await import('../server-client.js');
  const { rotationDetailSchema } = await import('../../server/api/rotation-wire.js');
  const detail = await openApiClient().request('GET', `/v1/rotations/${encodeURIComponent(rotationId)}`, rotationDetailSchema);
  const { options: rotationOptions, error, ...rest } = detail;
  if (options.json === true) {
    printJson(rest);
    return;
  }
  process.stdout.write(`${colour.bold(`rotation ${rotationId}`)} ${detail.credential} (${detail.kind})\n`);
  process.stdout.write(`  state: ${detail.state}${error === null ? '' : ` — ${error}`}\n`);
  process.stdout.write(`  versions: v${detail.from} → ${detail.to === null ? '(not minted)' : `v${detail.to}`}\n`);
  const grace = detail.grace as { action?: string; reason?: string } | null;
  process.stdout.write(`  grace: quiet ${rotationOptions.graceQuietSeconds}s, max ${rotationOptions.graceMaxSeconds}s${grace === null ? '' : `; ${grace.action ?? ''}: ${grace.reason ?? ''}`}\n`);
  for (const delivery of detail.deliveries as Array<{ consumer?: string; sink?: string; verified?: string; reloaded?: boolean }>) {
    process.stdout.write(`  delivered: ${delivery.consumer ?? ''} → ${delivery.sink ?? ''} (${delivery.verified ?? ''}${delivery.reloaded === true ? ', reloaded' : ''})\n`);
  }
  if ((detail.forgottenConsumers?.length ?? 0) > 0) process.stdout.write(`  forgotten consumers: ${detail.forgottenConsumers?.join(', ')}\n`);
  process.stdout.write('  journal:\n');
  for (const entry of detail.journal) {
    const event = entry.phase === 'end' && typeof entry.detail['event'] === 'object' ? ` → ${String((entry.detail['event'] as { type?: unknown }).type)}` : '';
    process.stdout.write(`    ${entry.at}  ${entry.step} ${entry.phase}${event}\n`);
  }
}
