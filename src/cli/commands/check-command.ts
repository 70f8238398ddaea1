/**
 * `rekey check [file]`: the CI gate over rekey.yaml (and with --live, the store's key ages
 * and fingerprints and the provider's model permissions). Exit codes as Conftest: 1 on
 * any error-level finding; with --fail-on-warn 2 on errors, 1 on warnings only; else 0.
 * `rekey schema` prints the JSON Schema editors use to autocomplete rekey.yaml.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';

const TOOL_VERSION = '0.1.0';

interface CheckOptions {
  format: string;
  outFile?: string;
  failOnWarn?: boolean;
  live?: boolean;
  at?: string;
}

export function parseAtDate(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T12:00:00Z` : text);
  if (Number.isNaN(parsed)) throw new UsageError(`--at "${text.slice(0, 40)}" is not a date`, { hint: 'use YYYY-MM-DD or an ISO timestamp' });
  return new Date(parsed);
}

export function register(program: Command): void {
  program
    .command('check [file]')
    .description('Check rekey.yaml against its policies (the CI gate); --live also checks the store and the provider')
    .option('--format <format>', 'text, json, sarif, junit or github', 'text')
    .option('--out-file <file>', 'write the report to a file instead of standard output')
    .option('--fail-on-warn', 'exit 2 on errors and 1 on warnings only (as conftest --fail-on-warn)')
    .option('--live', 'also check key ages and shared values in the store, and provider-side model permissions')
    .option('--at <date>', 'evaluate as of this date (default: now)')
    .action(async (file: string | undefined, options: CheckOptions) => {
      const { CHECK_FORMATS, checkJson, formatCheckText, formatGithubAnnotations } = await import('../../policy/check-output.js');
      if (!(CHECK_FORMATS as readonly string[]).includes(options.format)) {
        throw new UsageError(`--format must be one of ${CHECK_FORMATS.join(', ')}, not "${options.format.slice(0, 40)}"`);
      }
      const now = parseAtDate(options.at);
      const { runCheck } = await import('../../policy/policy-check.js');
      const { checkExitCode } = await import('../../policy/policy-engine.js');
      const path = file ?? 'rekey.yaml';
      const live = options.live === true ? async () => (await import('../policy-live.js')).readLiveState(path) : undefined;
      const { result, loaded } = await runCheck({ path, now, live });
      let rendered: string;
      if (options.format === 'json') rendered = JSON.stringify(checkJson(result), null, 2) + '\n';
      else if (options.format === 'sarif') rendered = JSON.stringify((await import('../../policy/check-sarif.js')).toCheckSarif(result, TOOL_VERSION), null, 2) + '\n';
      else if (options.format === 'junit') rendered = (await import('../../policy/check-junit.js')).toCheckJunit(result, loaded?.file ?? { credentials: {} });
      else if (options.format === 'github') rendered = formatGithubAnnotations(result);
      else rendered = formatCheckText(result);
      if (options.outFile === undefined) process.stdout.write(rendered);
      else await writeFile(options.outFile, rendered);
      process.exitCode = checkExitCode(result, options.failOnWarn === true);
    });
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of rekey.yaml (for editors: # yaml-language-server: $schema=…)')
    .action(async () => {
      const { rekeyJsonSchemaText } = await import('../../policy/policy-json-schema.js');
      process.stdout.write(rekeyJsonSchemaText());
    });
}
