/**
 * Staged changes, for the pre-commit hook: the lines `git diff --cached` adds. Each staged
 * file is scanned whole from the index (so keyword and host pairing see their context),
 * and only findings on added lines are kept. One `git diff` and one `git cat-file --batch`.
 */
import type { CompiledDetectors } from '../detectors/detector-registry.js';
import type { PositionedMatch } from '../chunk-scanner.js';
import { scanBytes } from '../chunk-scanner.js';
import { spawnSafeGit } from '../../git/safe-git.js';
import { gitTopLevel, runGit } from './git-process.js';
import { unquotePath } from './git-history.js';
import { UsageError } from '../../core/errors.js';

export interface StagedMatch {
  path: string;
  match: PositionedMatch;
}

/** Added line numbers per path, from a zero-context diff. */
export function addedLines(diff: string): Map<string, Set<number>> {
  const added = new Map<string, Set<number>>();
  let current: Set<number> | undefined;
  let nextLine = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const target = unquotePath(line.slice(4));
      if (target === '/dev/null') {
        current = undefined;
        continue;
      }
      const path = target.startsWith('b/') ? target.slice(2) : target;
      current = new Set<number>();
      added.set(path, current);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk !== null) {
      nextLine = Number(hunk[1]);
      continue;
    }
    if (current !== undefined && line.startsWith('+')) {
      current.add(nextLine);
      nextLine += 1;
    }
  }
  return added;
}

async function readIndexBlobs(repository: string, paths: readonly string[]): Promise<Map<string, Buffer>> {
  const child = await spawnSafeGit(['cat-file', '--batch'], { cwd: repository, stderr: 'ignore' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', () => {
      const output = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let offset = 0;
      for (const path of paths) {
        const newline = output.indexOf(10, offset);
        if (newline === -1) break;
        const header = output.subarray(offset, newline).toString('utf8').split(' ');
        offset = newline + 1;
        if (header[1] !== 'blob') continue;
        const size = Number(header[2]);
        blobs.set(path, output.subarray(offset, offset + size));
        offset += size + 1;
      }
      resolve(blobs);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(paths.map((path) => `:${path}`).join('\n') + '\n');
  });
}

/** Findings on lines added by the staged changes of the repository containing `directory`. */
export async function scanStagedChanges(directory: string, compiled?: CompiledDetectors): Promise<StagedMatch[]> {
  const repository = await gitTopLevel(directory);
  if (repository === undefined) throw new UsageError(`not a git repository: ${directory}`, { hint: 'run the hook inside a repository' });
  const diff = await runGit(
    ['-c', 'core.quotePath=false', 'diff', '--cached', '--no-color', '--no-ext-diff', '--no-renames', '-U0', '--diff-filter=ACMRT'],
    { cwd: repository },
  );
  const added = addedLines(diff.toString('utf8'));
  const paths = [...added.keys()].filter((path) => (added.get(path)?.size ?? 0) > 0);
  if (paths.length === 0) return [];
  const blobs = await readIndexBlobs(repository, paths);
  const found: StagedMatch[] = [];
  for (const path of paths) {
    const content = blobs.get(path);
    const lines = added.get(path);
    if (content === undefined || lines === undefined) continue;
    const result = scanBytes(content, compiled);
    if (result === 'binary') continue;
    for (const match of result) if (lines.has(match.line)) found.push({ path, match });
  }
  return found;
}
