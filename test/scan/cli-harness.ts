import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repositoryRoot = resolve(import.meta.dirname, '..', '..');
const binary = join(repositoryRoot, 'dist', 'src', 'cli', 'bin.js');

/** Why the CLI tests cannot run, or undefined when they can (CI builds before testing). */
export function cliUnavailableReason(): string | undefined {
  return existsSync(binary) ? undefined : 'dist/ is not built: run `npm run build` first (`npm test` does)';
}

/** The real `rekey` entry script (compiled), as the package's `bin` runs it. */
export function cliEntry(): string {
  return binary;
}

/** A data directory that does not exist: the scanner runs without a vault (no ownership). */
const isolatedHome = join(mkdtempSync(join(tmpdir(), 'rekey-scan-home-')), 'absent');

export function cliEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, REKEY_HOME: isolatedHome, NO_COLOR: '1' };
  delete environment['REKEY_DATABASE_URL'];
  return environment;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { cwd: string; input?: string | Buffer; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...cliEnvironment(), ...options.env };
    const child = spawn(process.execPath, [binary, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
