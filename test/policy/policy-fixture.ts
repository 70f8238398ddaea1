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
