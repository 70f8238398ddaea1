/**
 * `rekey rotate <credential>` (manual, `--emergency`, `--dry-run`, `--stages … --soak …`),
 * `rekey rotate --due` (scheduled, for cron or CI), `rekey scheduler` (the same as a
 * daemon, which also resumes rotations whose worker died) and `rekey drill <credential>`.
 * The rotation engine and the provider adapters load only inside the actions.
 */
import type { Command } from 'commander';
import { parseDurationSeconds, formatDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import type { SecretValue } from '../../core/secret-value.js';
import type { RotationProgress } from '../../rotation/rotation-deps.js';
import type { RotationOutcome, RotationPlan } from '../../rotation/rotation-executor.js';
import { rotationOutcomeWire, type RotationOutcomeWire } from '../../server/api/rotation-wire.js';
import { withCliContext, type CliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { openRotationExecutor, preflightCredential, printPreflight } from '../cli-services.js';
import { colour, printJson } from '../output.js';
import { withInterruptNotice } from '../rotation-interrupt.js';
import { createProgressReporter } from '../rotation-progress.js';
import { readSecretValue } from '../secret-input.js';

/** Progress on stderr (stdout stays clean for --json): a live status line on a terminal, one line per change off it. */
export function progressPrinter(enabled: boolean): ((progress: RotationProgress) => void) | undefined {
  return enabled ? createProgressReporter().onProgress : undefined;
}

export function outcomeJson(outcome: RotationOutcome): RotationOutcomeWire {
  return rotationOutcomeWire(outcome);
}

/** One human line (plus hints) per outcome; sets a failing exit code unless done. */
export function printOutcome(outcome: RotationOutcome | RotationOutcomeWire): void {
  printOutcomeWire('rotationId' in outcome ? rotationOutcomeWire(outcome) : outcome);
}

/** The same lines from the wire shape (what the server answers in server mode). */
export function printOutcomeWire(outcome: RotationOutcomeWire): void {
  const name = `${outcome.credential} (rotation ${outcome.rotation})`;
  const versions = `v${outcome.from} → v${outcome.to ?? '?'}`;
  switch (outcome.state) {
    case 'done':
      process.stdout.write(`${colour.green('rotated')} ${name}: ${versions}, old key revoked\n`);
      break;
    case 'hold':
      process.stdout.write(`${colour.yellow('held')} ${name}: ${outcome.hold?.reason ?? ''}\n`);
      if ((outcome.hold?.holders.length ?? 0) > 0) process.stdout.write(`  still using the old key or failing: ${outcome.hold?.holders.join(', ')}\n`);
      process.stdout.write(`hint: fix it, then \`rekey rotations resume ${outcome.rotation}\`, or \`rekey rotations rollback ${outcome.rotation}\`\n`);
      process.exitCode = 1;
      break;
    case 'awaiting-value':
      process.stdout.write(`${colour.yellow('waiting')} ${name}: this provider cannot create keys by API\n`);
      process.stdout.write(`hint: create a key in the provider console, then \`rekey rotations resume ${outcome.rotation} --value-from-stdin\`\n`);
      break;
    case 'rolled-back':
      process.stdout.write(`${colour.yellow('rolled back')} ${name}: v${outcome.from} is current\n`);
      break;
    default:
      process.stdout.write(`${colour.red(outcome.state)} ${name}: ${outcome.failure ?? ''}\n`);
      process.exitCode = 1;
  }
  if ((outcome.forgottenConsumers?.length ?? 0) > 0) {
    process.stdout.write(`forgotten consumers (old key used, not in the consumer list): ${outcome.forgottenConsumers?.join(', ')}\n`);
  }
  if (outcome.secondsToOldKeyDead !== null && outcome.kind === 'emergency') {
    process.stdout.write(`old key dead ${formatDuration(outcome.secondsToOldKeyDead)} after the rotation started\n`);
  }
}

/**
 * For `rekey scan --rotate` (the scan command's `rotate` wiring): make a leaked key of
 * ours dead — an emergency rotation, or ending the grace that still keeps it alive — and
 * say when it died. Resolves once it is dead, or throws with what went wrong.
 */
function printPlan(plan: RotationPlan): void {
  process.stdout.write(`${colour.bold('plan')} ${plan.credential} (${plan.provider}, ${plan.mode}${plan.emergencyPath === null ? '' : `, ${plan.emergencyPath}`})\n`);
  process.stdout.write(`  current: ${plan.current === null ? 'none' : `v${plan.current.version} ${plan.current.hint} ${plan.current.fingerprint}`}; new version will be v${plan.nextVersion}\n`);
  process.stdout.write(`  steps: ${plan.steps.join(' → ')}\n`);
  for (const consumer of plan.consumers) {
    process.stdout.write(`  consumer ${consumer.name}: ${consumer.sink}${consumer.reload === null ? '' : `, then ${consumer.reload}`}\n`);
    for (const line of consumer.diff) process.stdout.write(`    ${line}\n`);
  }
  if (plan.consumers.length === 0) process.stdout.write('  no consumers: the new key will only be in the vault\n');
  for (const problem of plan.problems) process.stdout.write(`  ${colour.red('problem')}: ${problem}\n`);
  process.stdout.write(colour.dim('dry run: nothing was changed') + '\n');
}

interface RotateOptions {
  emergency?: boolean;
  emergencyPath?: string;
  dryRun?: boolean;
  graceQuiet?: string;
  graceMax?: string;
  valueFromStdin?: boolean;
  due?: boolean;
  stages?: string;
  soak?: string;
  json?: boolean;
}

function graceOptions(options: Pick<RotateOptions, 'graceQuiet' | 'graceMax'>) {
  return {
    graceQuietSeconds: options.graceQuiet === undefined ? undefined : parseDurationSeconds(options.graceQuiet, '--grace-quiet'),
    graceMaxSeconds: options.graceMax === undefined ? undefined : parseDurationSeconds(options.graceMax, '--grace-max'),
  };
}

function parseEmergencyPath(text: string | undefined): 'mint-first' | 'revoke-first' | undefined {
  if (text === undefined) return undefined;
  if (text !== 'mint-first' && text !== 'revoke-first') throw new UsageError(`--emergency-path must be mint-first or revoke-first, not "${text}"`);
  return text;
}

async function rotateOne(credential: string, options: RotateOptions, kind: 'manual' | 'drill'): Promise<void> {
  const emergencyPath = parseEmergencyPath(options.emergencyPath);
  if (emergencyPath !== undefined && options.emergency !== true) throw new UsageError('--emergency-path needs --emergency');
  if (kind === 'drill' && options.emergency === true) throw new UsageError('a drill cannot be an emergency rotation');
  const grace = graceOptions(options);
  const suppliedValue: SecretValue | undefined = options.valueFromStdin === true ? await readSecretValue(`new key for ${credential}`) : undefined;
  if (serverUrl() !== undefined) return rotateThroughServer(credential, options, kind, { emergencyPath, ...grace, value: suppliedValue?.reveal() });
  await withCliContext(async (context) => {
    const reporter = createProgressReporter();
    const executor = await openRotationExecutor(context, options.json !== true && options.dryRun !== true ? reporter.onProgress : undefined);
    const request = {
      credential,
      kind: options.emergency === true ? ('emergency' as const) : kind,
      emergencyPath,
      actor: context.actor,
      suppliedValue,
      ...grace,
    };
    if (options.dryRun === true) {
      const plan = await executor.plan(request);
      // The preflight asks the provider what the rotation will need (read-only).
      const { requireCredential } = await import('../../vault/credential-service.js');
      const { preflightFailed } = await import('../../rotation/preflight.js');
      const checks = await preflightCredential(context, await requireCredential(context.store, credential));
      if (options.json === true) printJson({ ...plan, preflight: checks });
      else {
        printPlan(plan);
        process.stdout.write(`${colour.bold('preflight')} at ${plan.provider}\n`);
        printPreflight(checks);
        if (preflightFailed(checks)) process.stdout.write(colour.red('the rotation would fail: fix what the preflight says first') + '\n');
      }
      if (plan.problems.length > 0 || preflightFailed(checks)) process.exitCode = 1;
      return;
    }
    const outcome = await withInterruptNotice(context, reporter, { credential }, () => executor.start(request));
    if (options.json === true) {
      printJson(outcomeJson(outcome));
      if (outcome.state !== 'done' && outcome.state !== 'awaiting-value') process.exitCode = 1;
    } else {
      printOutcome(outcome);
    }
  });
}

/** `nothing is due`, naming the credentials that never are (no cadence) and how to give them one. */
async function nothingDue(store: CliContext['store']): Promise<string> {
  const never = (await store.listCredentials()).filter((credential) => (credential.policy.rotateEveryDays ?? 0) <= 0).map((credential) => credential.name);
  if (never.length === 0) return 'nothing is due\n';
  const shown = never.length > 3 ? `${never.slice(0, 3).join(', ')} and ${never.length - 3} more` : never.join(', ');
  return `nothing is due; ${never.length} credential(s) without a cadence are never due (${shown}): set one with \`rekey credential edit <name> --rotate-every-days 90\`\n`;
}

/** `rekey rotate` against a server: the same plan or outcome, printed the same way (the provider preflight runs only locally). */
async function rotateThroughServer(
  credential: string,
  options: RotateOptions,
  kind: 'manual' | 'drill',
  extra: { emergencyPath?: string | undefined; graceQuietSeconds?: number | undefined; graceMaxSeconds?: number | undefined; value?: string | undefined },
): Promise<void> {
  const { openApiClient } = await import('../server-client.js');
  const { rotationOutcomeSchema, rotationPlanSchema } = await import('../../server/api/rotation-wire.js');
  const client = openApiClient();
  const body = {
    credential,
    ...(options.emergency === true ? { emergency: true } : { kind }),
    ...Object.fromEntries(Object.entries(extra).filter(([, value]) => value !== undefined)),
  };
  if (options.dryRun === true) {
    const plan = await client.request('POST', '/v1/rotations/plan', rotationPlanSchema, body);
    if (options.json === true) printJson(plan);
    else printPlan(plan);
    if (plan.problems.length > 0) process.exitCode = 1;
    return;
  }
  if (options.json !== true) process.stderr.write(colour.dim(`rotating ${credential} on ${client.server}…`) + '\n');
  const outcome = await client.request('POST', '/v1/rotations', rotationOutcomeSchema, body);
  if (options.json === true) {
    printJson(outcome);
    if (outcome.state !== 'done' && outcome.state !== 'awaiting-value') process.exitCode = 1;
  } else {
    printOutcomeWire(outcome);
  }
}

async function rotateDue(options: RotateOptions): Promise<void> {
  const grace = graceOptions(options);
  if (serverUrl() !== undefined) return rotateDueThroughServer(options, grace);
  await withCliContext(async (context) => {
    const { findDue, runDue } = await import('../../rotation/rotation-schedule.js');
    const { applyRetention } = await import('../../vault/retention.js');
    const { printRetentionRun } = await import('./retention-command.js');
    if (options.dryRun === true) {
      const due = await findDue(context.store, context.clock);
      if (options.json === true) printJson(due);
      else if (due.length === 0) process.stdout.write(await nothingDue(context.store));
      else for (const item of due) process.stdout.write(`due: ${item.credential} v${item.version}, ${item.ageDays} days old (every ${item.rotateEveryDays})${item.activeRotation === null ? '' : `, blocked by rotation ${item.activeRotation.id}`}\n`);
      if (options.json !== true) printRetentionRun(await applyRetention(context, { actor: context.actor, dryRun: true }));
      return;
    }
    const executor = await openRotationExecutor(context, progressPrinter(options.json !== true));
    const results = await runDue({ store: context.store, executor, clock: context.clock }, { actor: context.actor, ...grace });
    if (options.json === true) {
      printJson(results.map((result) => ({ credential: result.credential, skipped: result.skipped, error: result.error, outcome: result.outcome === null ? null : outcomeJson(result.outcome) })));
    } else if (results.length === 0) {
      process.stdout.write(await nothingDue(context.store));
    } else {
      for (const result of results) {
        if (result.outcome !== null) printOutcome(result.outcome);
        else process.stdout.write(`${colour.red(result.skipped ? 'skipped' : 'failed')} ${result.credential}: ${result.error ?? ''}\n`);
      }
    }
    // After the rotations: the versions they just revoked count from now, so only a 0 retention shreds them on this run.
    const retention = await applyRetention(context, { actor: context.actor });
    if (options.json !== true) printRetentionRun(retention);
    if (results.some((result) => result.outcome?.state !== 'done')) process.exitCode = 1;
  });
}

/** `rekey rotate --due` against a server: the same lines (retention runs with the server's own schedule, not here). */
async function rotateDueThroughServer(options: RotateOptions, grace: { graceQuietSeconds?: number | undefined; graceMaxSeconds?: number | undefined }): Promise<void> {
  const [{ openApiClient }, { rotationOutcomeSchema }, { dueSchema }, { z }] = await Promise.all([
    import('../server-client.js'), import('../../server/api/rotation-wire.js'), import('../../server/routes/rotation-api-routes.js'), import('zod'),
  ]);
  const schema = z.object({ due: z.array(dueSchema), results: z.array(z.object({ credential: z.string(), skipped: z.boolean(), error: z.string().nullable(), outcome: rotationOutcomeSchema.nullable() })).nullable() });
  const answer = await openApiClient().request('POST', '/v1/rotations/due', schema, { ...(options.dryRun === true ? { dryRun: true } : {}), ...Object.fromEntries(Object.entries(grace).filter(([, value]) => value !== undefined)) });
  if (options.dryRun === true) {
    if (options.json === true) printJson(answer.due);
    else if (answer.due.length === 0) process.stdout.write('nothing is due\n');
    else for (const item of answer.due) process.stdout.write(`due: ${item.credential} v${item.version}, ${item.ageDays} days old (every ${item.rotateEveryDays})${item.activeRotation === null ? '' : `, blocked by rotation ${item.activeRotation.id}`}\n`);
    return;
  }
  const results = answer.results ?? [];
  if (options.json === true) printJson(results);
  else if (results.length === 0) process.stdout.write('nothing is due\n');
  else {
    for (const result of results) {
      if (result.outcome !== null) printOutcomeWire(result.outcome);
      else process.stdout.write(`${colour.red(result.skipped ? 'skipped' : 'failed')} ${result.credential}: ${result.error ?? ''}\n`);
    }
  }
  if (results.some((result) => result.outcome?.state !== 'done')) process.exitCode = 1;
}

async function rotateStaged(base: string, options: RotateOptions): Promise<void> {
  const stageNames = (options.stages ?? '').split(',').map((stage) => stage.trim()).filter((stage) => stage !== '');
  if (stageNames.length === 0) throw new UsageError('--stages needs a comma-separated list, e.g. dev,staging,prod');
  if (options.emergency === true) throw new UsageError('--stages cannot be combined with --emergency: an emergency rotates every stage at once');
  const soakSeconds = options.soak === undefined ? 0 : parseDurationSeconds(options.soak, '--soak');
  const grace = graceOptions(options);
  await withCliContext(async (context) => {
    const { runStaged, stageCredentials } = await import('../../rotation/rotation-staged.js');
    const executor = await openRotationExecutor(context, progressPrinter(options.json !== true));
    const result = await runStaged({ executor, clock: context.clock }, { stages: stageCredentials(base, stageNames), soakSeconds, actor: context.actor, ...grace });
    if (options.json === true) printJson(result);
    else {
      for (const stage of result.stages) {
        const mark = stage.state === 'done' ? colour.green(stage.state) : colour.red(stage.state);
        process.stdout.write(`${stage.stage.padEnd(10)} ${mark} ${stage.credential}${stage.rotationId === null ? '' : ` (rotation ${stage.rotationId})`}${stage.reason === null ? '' : `: ${stage.reason}`}\n`);
      }
    }
    if (!result.ok) process.exitCode = 1;
  });
}

/** Where the adapters find the provider's admin credentials (providers/*: read from this process's environment). */
const PROVIDER_ENVIRONMENT_HELP = `
Environment (of the process that rotates):
  OPENAI_ADMIN_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1; the emulator's ends in /v1)
  ANTHROPIC_ADMIN_KEY, ANTHROPIC_BASE_URL
  OPENROUTER_MANAGEMENT_KEY, OPENROUTER_BASE_URL
  AZURE_MANAGEMENT_TOKEN, AZURE_OPENAI_ENDPOINT
  --dry-run checks them with the provider preflight; so does \`rekey doctor --provider <name>\`.
Credentials without a cadence (--rotate-every-days) are never due for --due.`;

export function registerRotate(program: Command): void {
  program
    .command('rotate [credential]')
    .description('Rotate a credential with zero downtime (mint, test, deliver, promote, grace, revoke)')
    .option('--emergency', 'leaked key: revoke the old key at once, no grace (mint and deliver first only when that is fast)')
    .option('--emergency-path <path>', 'force mint-first or revoke-first')
    .option('--dry-run', 'print the plan and the sink diffs; change nothing')
    .option('--grace-quiet <duration>', 'end grace once the old key has been quiet this long (default: policy, else 15m)')
    .option('--grace-max <duration>', 'hold instead of revoking if the old key is still used after this (default: policy, else 24h)')
    .option('--value-from-stdin', 'the new key value, for providers that cannot mint by API (Anthropic, manual)')
    .option('--due', 'rotate every credential whose policy cadence has passed (for cron or CI)')
    .option('--stages <list>', 'staged rollout: rotate <credential>/<stage> for each stage in order, e.g. dev,staging,prod')
    .option('--soak <duration>', 'with --stages: wait this long after each stage and re-check its key')
    .option('--json', 'print JSON')
    .addHelpText('after', PROVIDER_ENVIRONMENT_HELP)
    .action(async (credential: string | undefined, options: RotateOptions) => {
      if (options.due === true) {
        if (credential !== undefined) throw new UsageError('--due rotates every due credential; do not name one');
        return rotateDue(options);
      }
      if (credential === undefined) throw new UsageError('name the credential to rotate, or pass --due', { hint: 'e.g. rekey rotate openai/ticketing/prod' });
      if (options.stages !== undefined) return rotateStaged(credential, options);
      return rotateOne(credential, options, 'manual');
    });
}

export function registerScheduler(program: Command): void {
  program
    .command('scheduler')
    .description('Run scheduled rotations as a daemon: rotate what is due by policy, resume rotations whose worker died')
    .option('--interval <duration>', 'time between checks', '5m')
    .option('--once', 'check once and exit (for cron)')
    .option('--grace-quiet <duration>', 'quiet window for the rotations it starts (default: policy, else 15m)')
    .option('--grace-max <duration>', 'maximum grace for the rotations it starts (default: policy, else 24h)')
    .option('--json', 'print one JSON line per check')
    .option('--config <file>', 'rekey.yaml whose notifications section routes alerts (default: $REKEY_CONFIG or ./rekey.yaml)')
    .option('--no-alerts', 'do not evaluate alert conditions nor deliver the outbox')
    .action(async (options: { interval: string; once?: boolean; graceQuiet?: string; graceMax?: string; json?: boolean; config?: string; alerts?: boolean }) => {
      const intervalMs = parseDurationSeconds(options.interval, '--interval') * 1000;
      if (intervalMs < 1000) throw new UsageError('--interval must be at least 1s');
      const grace = graceOptions(options);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await withCliContext(async (context) => {
          const { runScheduler } = await import('../../rotation/rotation-scheduler.js');
          const { hostname } = await import('node:os');
          const workerId = `${hostname()}:${process.pid}:scheduler`;
          const alerts = options.alerts === false ? undefined : await (await import('../alerts-wiring.js')).openAlerts(context, { config: options.config });
          const executor = await openRotationExecutor(context, progressPrinter(options.json !== true), alerts);
          await runScheduler(
            {
              store: context.store,
              executor,
              clock: context.clock,
              workerId,
              logger: { info: () => undefined, warn: (message) => process.stderr.write(colour.yellow(`warning: ${message}`) + '\n') },
              applyRetention: async () => (await import('../../vault/retention.js')).applyRetention(context, { actor: 'scheduler' }),
            },
            {
              afterTick: async () => {
                if (alerts !== undefined) {
                  const { schedulerAlertRound } = await import('../alerts-wiring.js');
                  await schedulerAlertRound(context, alerts, workerId);
                }
                // Bring-your-own-key: re-validation at a bounded rate per provider, age and unused reminders.
                try {
                  const byok = await (await import('../byok-wiring.js')).openByok(context, (message) => process.stderr.write(colour.yellow(`warning: ${message}`) + '\n'));
                  await byok.service.round();
                } catch (error) {
                  process.stderr.write(colour.yellow(`warning: the BYOK round failed: ${error instanceof Error ? error.message : 'error'}`) + '\n');
                }
              },
              intervalMs,
              actor: 'scheduler',
              once: options.once,
              signal: controller.signal,
              ...grace,
              onTick: (tick) => {
                if (options.json === true) {
                  printJson({ ...tick, due: tick.due.map((result) => ({ credential: result.credential, skipped: result.skipped, error: result.error, state: result.outcome?.state ?? null })) });
                  return;
                }
                if (!tick.leader) return void process.stdout.write(colour.dim(`${tick.at.toISOString()} another scheduler is the leader`) + '\n');
                for (const item of tick.resumed) process.stdout.write(`${tick.at.toISOString()} resumed ${item.rotationId}: ${item.state ?? item.error ?? ''}\n`);
                for (const result of tick.due) process.stdout.write(`${tick.at.toISOString()} ${result.credential}: ${result.outcome?.state ?? (result.skipped ? 'skipped' : 'failed')}${result.error === null ? '' : ` (${result.error})`}\n`);
                for (const item of tick.shredded) process.stdout.write(`${tick.at.toISOString()} shredded ${item.credential} v${item.version} (retention)\n`);
                if (tick.resumed.length === 0 && tick.due.length === 0 && tick.shredded.length === 0) process.stdout.write(colour.dim(`${tick.at.toISOString()} nothing due`) + '\n');
              },
            },
          );
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

export function registerDrill(program: Command): void {
  program
    .command('drill <credential>')
    .description('Rehearse a full rotation on a non-production credential and report forgotten consumers')
    .option('--dry-run', 'print the plan; change nothing')
    .option('--grace-quiet <duration>', 'quiet window (drills often use seconds)')
    .option('--grace-max <duration>', 'maximum grace before holding')
    .option('--value-from-stdin', 'the new key value, for providers that cannot mint by API')
    .option('--json', 'print JSON')
    .action((credential: string, options: RotateOptions) => rotateOne(credential, options, 'drill'));
}

/** All three rotation-engine commands (rotate, scheduler, drill) at once. */
export function register(program: Command): void {
  registerRotate(program);
  registerScheduler(program);
  registerDrill(program);
}
