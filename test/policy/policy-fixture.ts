/** Writes a small rekey.yaml tree into a temporary directory and loads it. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPolicyFile, type LoadedPolicyFile } from '../../src/policy/policy-loader.js';

export function writeTree(files: Record<string, string | Buffer>): string {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-policy-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, name)), { recursive: true });
    writeFileSync(join(directory, name), content);
  }
  return directory;
}

export function loadTree(files: Record<string, string | Buffer>, main = 'rekey.yaml'): LoadedPolicyFile {
  const directory = writeTree(files);
  return loadPolicyFile(main, { cwd: directory });
}

export const EXAMPLE_DIRECTORY = join(import.meta.dirname, '..', '..', 'examples', 'inventory');

import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';

export const REKEY_BINARY = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'bin.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built binary in `cwd` with exactly `env` (plus PATH), stdin closed. */
export function rekeyIn(cwd: string, args: string[], env: Record<string, string | undefined>, input = ''): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [REKEY_BINARY, ...args], { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** A copy of examples/inventory in a temporary directory (apply resolves consumer paths there). */
export function exampleCopy(): string {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-example-'));
  cpSync(EXAMPLE_DIRECTORY, directory, { recursive: true });
  return directory;
}
