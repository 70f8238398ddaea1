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

import { cpSync } from 'node:fs';
import { runRekey, type CliResult } from '../helpers/cli-runner.js';

export type RunResult = CliResult;

/** The built binary in `cwd` with exactly `env` (plus PATH), stdin closed. */
export function rekeyIn(cwd: string, args: string[], env: Record<string, string | undefined>, input = ''): Promise<RunResult> {
  return runRekey(args, { cwd, env, input, timeoutMs: 60_000 });
}

/** A copy of examples/inventory in a temporary directory (apply resolves consumer paths there). */
export function exampleCopy(): string {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-example-'));
  cpSync(EXAMPLE_DIRECTORY, directory, { recursive: true });
  return directory;
}
