/**
 * Git history: every blob reachable from any ref (all branches, tags, stashes), each
 * scanned once. `git log --all --reverse --raw` names, for each blob, the oldest commit
 * that added it, with author and path; `git cat-file --batch` then streams the blobs.
 */
import { UsageError } from '../../core/errors.js';
import type { CompiledDetectors } from '../detectors/detector-registry.js';
import type { PositionedMatch } from '../chunk-scanner.js';
import { scanBytes } from '../chunk-scanner.js';
import { spawnSafeGit } from '../../git/safe-git.js';
import { gitTopLevel, runGit } from './git-process.js';

export interface BlobOrigin {
  blob: string;
  commit: string;
  author: string;
  committedAt: string;
  path: string;
}

export interface HistoryMatch {
  origin: BlobOrigin;
  match: PositionedMatch;
}

const ZERO_OBJECT = /^0+$/;
const RECORD_SEPARATOR = '\u001e';

/** Undoes git's C-style quoting of unusual paths (`"caf\303\251.txt"`). */
export function unquotePath(path: string): string {
  if (!path.startsWith('"') || !path.endsWith('"')) return path;
  const body = path.slice(1, -1);
  const bytes: number[] = [];
  for (let index = 0; index < body.length; index += 1) {
    const character = body.charAt(index);
    if (character !== '\\') {
      bytes.push(...Buffer.from(character, 'utf8'));
      continue;
    }
    const next = body.charAt(index + 1);
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(index + 1, index + 4), 8));
      index += 3;
    } else {
      const escapes: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
      bytes.push(escapes[next] ?? next.charCodeAt(0));
      index += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The oldest commit, author and path that introduced each blob in the history. */
export async function blobOrigins(repository: string): Promise<Map<string, BlobOrigin>> {
  const output = await runGit(
    [
      'log', '--all', '--reverse', '--raw', '--no-abbrev', '--no-renames', '-m',
      '--diff-filter=AMT', `--format=${RECORD_SEPARATOR}%H%x09%an <%ae>%x09%aI`,
    ],
    { cwd: repository },
  );
  const origins = new Map<string, BlobOrigin>();
  let commit = '';
  let author = '';
  let committedAt = '';
  for (const line of output.toString('utf8').split('\n')) {
    if (line.startsWith(RECORD_SEPARATOR)) {
      [commit = '', author = '', committedAt = ''] = line.slice(1).split('\t');
      continue;
    }
    if (!line.startsWith(':')) continue;
    const tab = line.indexOf('\t');
    if (tab === -1) continue;
    const [, newMode = '', , newBlob = ''] = line.slice(1, tab).split(' ');
    if (newMode === '160000' || ZERO_OBJECT.test(newBlob) || origins.has(newBlob)) continue;
    origins.set(newBlob, { blob: newBlob, commit, author, committedAt, path: unquotePath(line.slice(tab + 1)) });
  }
  return origins;
}

/** Streams `git cat-file --batch` output and hands each blob to `onBlob`. */
async function readBlobs(repository: string, names: readonly string[], onBlob: (name: string, content: Buffer) => void): Promise<void> {
  const child = await spawnSafeGit(['cat-file', '--batch'], { cwd: repository, stderr: 'ignore' });
  return new Promise((resolve, reject) => {
    // Chunks are joined only once a whole blob is there, so a large blob costs one copy.
    let parts: Buffer[] = [];
    let buffered = 0;
    let expected: { name: string; size: number } | undefined;
    const take = (): Buffer => {
      const joined = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, buffered);
      parts = [];
      buffered = 0;
      return joined;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      buffered += chunk.length;
      for (;;) {
        if (expected === undefined) {
          const pending = take();
          const newline = pending.indexOf(10);
          if (newline === -1) {
            parts.push(pending);
            buffered = pending.length;
            return;
          }
          const header = pending.subarray(0, newline).toString('utf8').split(' ');
          const rest = pending.subarray(newline + 1);
          parts.push(rest);
          buffered = rest.length;
          if (header[1] === 'missing' || header.length < 3) continue;
          expected = { name: header[0] ?? '', size: Number(header[2]) };
        }
        if (buffered < expected.size + 1) return;
        const pending = take();
        onBlob(expected.name, pending.subarray(0, expected.size));
        const rest = pending.subarray(expected.size + 1);
        parts.push(rest);
        buffered = rest.length;
        expected = undefined;
      }
    });
    child.on('error', (error) => reject(new UsageError(`could not run git cat-file: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new UsageError(`git cat-file failed with exit code ${code ?? 'signal'} in ${repository}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(names.join('\n') + '\n');
  });
}

export interface HistoryScanSummary {
  blobs: number;
  bytes: number;
  binaries: number;
}

/** Scans every blob of the history of the repository containing `directory`. */
export async function scanGitHistory(
  directory: string,
  onMatch: (found: HistoryMatch) => void,
  compiled?: CompiledDetectors,
): Promise<HistoryScanSummary> {
  const repository = await gitTopLevel(directory);
  if (repository === undefined) {
    throw new UsageError(`not a git repository: ${directory}`, { hint: 'run --git inside a repository, or drop --git' });
  }
  const origins = await blobOrigins(repository);
  const summary: HistoryScanSummary = { blobs: 0, bytes: 0, binaries: 0 };
  if (origins.size === 0) return summary;
  await readBlobs(repository, [...origins.keys()], (name, content) => {
    const origin = origins.get(name);
    if (origin === undefined) return;
    summary.blobs += 1;
    summary.bytes += content.length;
    const result = scanBytes(content, compiled);
    if (result === 'binary') {
      summary.binaries += 1;
      return;
    }
    for (const match of result) onMatch({ origin, match });
  });
  return summary;
}
