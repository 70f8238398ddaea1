import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REKEY_BIN, runRekey, type CliResult } from '../helpers/cli-runner.js';

/** Why the CLI tests cannot run, or undefined when they can (CI builds before testing). */
export function cliUnavailableReason(): string | undefined {
  return existsSync(REKEY_BIN) ? undefined : 'dist/ is not built: run `npm run build` first (`npm test` does)';
}

/** A data directory that does not exist: the scanner runs without a vault (no ownership). */
const isolatedHome = join(mkdtempSync(join(tmpdir(), 'rekey-scan-home-')), 'absent');

export function cliEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, REKEY_HOME: isolatedHome, NO_COLOR: '1' };
  delete environment['REKEY_DATABASE_URL'];
  return environment;
}

export type { CliResult };

/** The binary with the scanner's isolated environment (no vault, no database URL) plus `env`. */
export function runCli(
  args: readonly string[],
  options: { cwd: string; input?: string | Buffer; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  return runRekey(args, { cwd: options.cwd, input: options.input, env: { ...cliEnvironment(), ...options.env }, timeoutMs: 60_000 });
}
