/** `rekey retention show|set|apply`: how long revoked and discarded versions keep their value, and shredding them. */
import type { Command } from 'commander';
import { formatDuration, parseDurationSeconds } from '../../core/duration.js';
import type { RetentionRun } from '../../vault/retention.js';
import { withCliContext } from '../cli-context.js';
import { colour, printJson } from '../output.js';

function runJson(run: RetentionRun): Record<string, unknown> {
  return {
    shredAfterSeconds: run.shredAfterSeconds,
    cutoff: run.cutoff.toISOString(),
    dryRun: run.dryRun,
    items: run.items.map((item) => ({ ...item, stageChangedAt: item.stageChangedAt.toISOString() })),
  };
}

/** The lines `retention apply` and `rotate --due` print for a run. */
export function printRetentionRun(run: RetentionRun): void {
  for (const item of run.items) {
    const what = `${item.credential} v${item.version} (${item.stage} since ${item.stageChangedAt.toISOString()})`;
    if (item.heldBy !== null) process.stdout.write(`${colour.yellow('held')} ${what}: rotation ${item.heldBy} is under way\n`);
    else if (run.dryRun) process.stdout.write(`would shred ${what}\n`);
    else if (item.shredded) process.stdout.write(`${colour.green('shredded')} ${what}\n`);
  }
}

export function register(program: Command): void {
  const retention = program
    .command('retention')
    .description('Retention of revoked and discarded versions: after the period their data key is destroyed (metadata and fingerprint stay)');

  retention
    .command('show')
    .description('Print the retention period (default 30d)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { readRetentionPolicy } = await import('../../vault/retention.js');
      const policy = await withCliContext(({ store }) => readRetentionPolicy(store));
      if (options.json === true) printJson(policy);
      else process.stdout.write(`revoked and discarded versions are shredded ${policy.shredAfterSeconds === 0 ? 'at once' : `after ${formatDuration(policy.shredAfterSeconds)}`} (${policy.source})\n`);
    });

  retention
    .command('set <duration>')
    .description('Set the retention period, e.g. 30d, 7d, 12h; 0 shreds at once (audited)')
    .option('--json', 'print JSON')
    .action(async (duration: string, options: { json?: boolean }) => {
      const seconds = parseDurationSeconds(duration, 'retention period');
      const { setRetentionPolicy } = await import('../../vault/retention.js');
      const policy = await withCliContext((context) => setRetentionPolicy(context, seconds, context.actor));
      if (options.json === true) printJson(policy);
      else process.stdout.write(`${colour.green('set')} retention: revoked and discarded versions are shredded ${policy.shredAfterSeconds === 0 ? 'at once' : `after ${formatDuration(policy.shredAfterSeconds)}`}\n`);
    });

  retention
    .command('apply')
    .description('Shred every revoked or discarded version past the retention period now (also run by rotate --due and the scheduler)')
    .option('--dry-run', 'list what would be shredded; change nothing')
    .option('--json', 'print JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      const { applyRetention } = await import('../../vault/retention.js');
      const run = await withCliContext((context) => applyRetention(context, { actor: context.actor, dryRun: options.dryRun === true }));
      if (options.json === true) printJson(runJson(run));
      else if (run.items.length === 0) process.stdout.write(`nothing to shred (retention ${formatDuration(run.shredAfterSeconds)})\n`);
      else printRetentionRun(run);
    });
}
