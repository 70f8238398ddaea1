import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const repositoryRoot = resolve(import.meta.dirname, '..', '..');
const compiledCommands = join(repositoryRoot, 'dist', 'src', 'cli', 'commands');

/** Why the CLI tests cannot run, or undefined when they can (CI builds before testing). */
export function cliUnavailableReason(): string | undefined {
  return existsSync(join(compiledCommands, 'scan-command.js'))
    ? undefined
    : 'dist/ is not built: run `npm run build` first (`npm test` does)';
}

let entry: string | undefined;

/**
 * A `rekey` entry script with the scan, redact and hook commands registered exactly as the
 * CLI registers them, and the CLI's error-to-exit-code mapping. It imports the compiled
 * commands, so the hook it installs runs real compiled code.
 */
export function cliEntry(): string {
  if (entry !== undefined) return entry;
  const url = (path: string): string => pathToFileURL(path).href;
  const script = `
import { Command, CommanderError } from ${JSON.stringify(url(join(repositoryRoot, 'node_modules', 'commander', 'esm.mjs')))};
import { exitCodeFor, isRekeyError } from ${JSON.stringify(url(join(repositoryRoot, 'dist', 'src', 'core', 'errors.js')))};
import { register as scan } from ${JSON.stringify(url(join(compiledCommands, 'scan-command.js')))};
import { register as redact } from ${JSON.stringify(url(join(compiledCommands, 'redact-command.js')))};
import { register as hook } from ${JSON.stringify(url(join(compiledCommands, 'hook-command.js')))};
const program = new Command('rekey').exitOverride();
scan(program); redact(program); hook(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (isRekeyError(error)) {
    process.stderr.write('rekey: ' + error.message + '\\n' + (error.hint ? 'hint: ' + error.hint + '\\n' : ''));
  } else process.stderr.write('rekey: unexpected error: ' + (error instanceof Error ? error.message : String(error)) + '\\n');
  process.exitCode = exitCodeFor(error);
}
`;
  const directory = mkdtempSync(join(tmpdir(), 'rekey-cli-'));
  entry = join(directory, 'rekey-entry.mjs');
  writeFileSync(entry, script);
  return entry;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd: string; input?: string | Buffer }): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliEntry(), ...args], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
