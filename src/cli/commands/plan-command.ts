/**
 * `rekey plan [file]`, `rekey apply [file]` and `rekey export`: rekey.yaml against the store
 * and the provider. plan exits as `terraform plan -detailed-exitcode` (0 in sync, 2 changes
 * or drift, 1 error); apply asks for confirmation unless --auto-approve.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { colour, printJson } from '../output.js';

interface PlanOptions {
  json?: boolean;
  prune?: boolean;
  storeOnly?: boolean;
  autoApprove?: boolean;
}

async function loadAndPlan(file: string | undefined, options: PlanOptions) {
  const { loadPolicyFile } = await import('../../policy/policy-loader.js');
  const loaded = loadPolicyFile(file ?? 'rekey.yaml');
  const projects = Object.keys(loaded.file.providers?.openai?.projects ?? {});
  let openai: import('../../providers/openai/openai-project-settings.js').OpenAIProjectSettingsClient | undefined;
  if (projects.length > 0 && options.storeOnly !== true) {
    if ((process.env.OPENAI_ADMIN_KEY ?? '') === '') {
      throw new ConfigError('rekey.yaml declares OpenAI project settings but OPENAI_ADMIN_KEY is not set', { hint: 'set OPENAI_ADMIN_KEY (and OPENAI_BASE_URL for the emulator), or pass --store-only' });
    }
    const { createOpenAIProjectSettingsClient } = await import('../../providers/openai/openai-project-settings.js');
    openai = createOpenAIProjectSettingsClient({});
  }
  return { loaded, openai };
}

export function registerPlan(program: Command): void {
  program
    .command('plan [file]')
    .description('Show what apply would change in the store and at the provider (exit 0 in sync, 2 changes, 1 error)')
    .option('--json', 'print the plan as JSON')
    .option('--prune', 'plan to remove credentials the file does not name')
    .option('--store-only', 'do not compare provider-side settings')
    .action(async (file: string | undefined, options: PlanOptions) => {
      const { loaded, openai } = await loadAndPlan(file, options);
      const { computePlan } = await import('../../policy/policy-plan.js');
      const { formatPlanText, planJson } = await import('../../policy/plan-format.js');
      const { planExitCode } = await import('../../policy/plan-model.js');
      const { withCliContext } = await import('../cli-context.js');
      const plan = await withCliContext(({ store }) => computePlan({ store, openai }, loaded, { prune: options.prune }));
      if (options.json === true) printJson(planJson(plan));
      else process.stdout.write(formatPlanText(plan));
      process.exitCode = planExitCode(plan);
    });
}

export function registerApply(program: Command): void {
  program
    .command('apply [file]')
    .description('Make the store and the provider match rekey.yaml (idempotent; audited)')
    .option('--auto-approve', 'apply without asking')
    .option('--prune', 'also remove credentials the file does not name')
    .option('--store-only', 'do not change provider-side settings')
    .option('--json', 'print the plan and the result as JSON')
    .action(async (file: string | undefined, options: PlanOptions) => {
      const { loaded, openai } = await loadAndPlan(file, options);
      const { computePlan } = await import('../../policy/policy-plan.js');
      const { applyPlan } = await import('../../policy/policy-apply.js');
      const { formatPlanText, planJson } = await import('../../policy/plan-format.js');
      const { confirm } = await import('../secret-input.js');
      const { withCliContext } = await import('../cli-context.js');
      await withCliContext(async (context) => {
        const plan = await computePlan({ store: context.store, openai }, loaded, { prune: options.prune });
        if (options.json !== true) process.stderr.write(formatPlanText(plan));
        if (plan.changes.length === 0) {
          if (options.json === true) printJson({ plan: planJson(plan), applied: 0 });
          else process.stdout.write('Nothing to apply.\n');
          return;
        }
        await confirm(`apply ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}?`, options.autoApprove);
        const result = await applyPlan({ store: context.store, vault: context.vault, audit: context.audit, actor: context.actor, fingerprintSalt: context.keys.fingerprintSalt, environment: process.env, openai }, plan, { baseDirectory: loaded.baseDirectory });
        if (options.json === true) printJson({ plan: planJson(plan), applied: result.applied, byKind: result.byKind });
        else process.stdout.write(`${colour.green('applied')} ${result.applied} change${result.applied === 1 ? '' : 's'}.\n`);
      });
    });
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Write the store as a rekey.yaml (never a value; only the references values were applied from)')
    .option('--out-file <file>', 'write to a file instead of standard output')
    .action(async (options: { outFile?: string }) => {
      const { exportPolicyFile } = await import('../../policy/policy-export.js');
      const { withCliContext } = await import('../cli-context.js');
      const text = await withCliContext(({ store }) => exportPolicyFile(store));
      if (options.outFile === undefined) process.stdout.write(text);
      else await writeFile(options.outFile, text);
    });
}
