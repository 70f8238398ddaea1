/**
 * Files and directories. In a git work tree the file list comes from git itself
 * (`ls-files --cached --others --exclude-standard`), so `.gitignore`, `.git/info/exclude`
 * and the global excludes apply exactly as git applies them; `noIgnore` walks everything.
 * A directory holding a `.rekey-scan-ignore` marker file is skipped (the labelled test
 * corpus carries one). Symbolic links are not followed; `.git` is never entered.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { CompiledDetectors } from '../detectors/detector-registry.js';
import type { PositionedMatch } from '../chunk-scanner.js';
import { createChunkScanner, SNIFF_BYTES, sniffEncoding } from '../chunk-scanner.js';
import { gitTopLevel, runGit } from './git-process.js';

export const IGNORE_MARKER = '.rekey-scan-ignore';

export interface ListedFile {
  absolute: string;
  /** Relative to the scan root, with `/` separators. */
  relative: string;
}

export interface ListFilesOptions {
  noIgnore?: boolean | undefined;
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

async function* walk(root: string, directory: string): AsyncGenerator<ListedFile> {
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return; // Unreadable directory: nothing to scan there (reported by the caller's counts).
  }
  if (entries.some((entry) => entry.name === IGNORE_MARKER && entry.isFile())) return;
  entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  for (const entry of entries) {
    const absolute = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '.git') continue;
      yield* walk(root, absolute);
    } else if (entry.isFile()) {
      yield { absolute, relative: toPosix(relative(root, absolute)) };
    }
  }
}

async function* gitListed(root: string): AsyncGenerator<ListedFile> {
  const output = await runGit(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
  const paths = output.toString('utf8').split('\0').filter((path) => path.length > 0);
  const ignoredDirectories = paths
    .filter((path) => path === IGNORE_MARKER || path.endsWith('/' + IGNORE_MARKER))
    .map((path) => dirname(path));
  const ignored = (path: string): boolean =>
    ignoredDirectories.some((directory) => directory === '.' || path.startsWith(directory + '/'));
  const unique = [...new Set(paths)].sort();
  for (const path of unique) {
    if (ignored(path)) continue;
    const absolute = join(root, path);
    // --cached lists deleted-but-tracked files and submodules: keep regular files only.
    let isFile = false;
    try {
      isFile = lstatSync(absolute).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) continue;
    yield { absolute, relative: path };
  }
}

/** Every file under `target` (or `target` itself when it is a file). */
export async function* listFiles(target: string, options: ListFilesOptions = {}): AsyncGenerator<ListedFile> {
  const absolute = resolve(target);
  const stats = await lstat(absolute).catch(() => undefined);
  if (stats === undefined) throw new UsageError(`no such file or directory: ${target}`, { hint: 'check the path to scan' });
  if (stats.isFile()) {
    yield { absolute, relative: toPosix(target) };
    return;
  }
  if (!stats.isDirectory()) return;
  if (options.noIgnore !== true && (await gitTopLevel(absolute)) !== undefined) {
    yield* gitListed(absolute);
    return;
  }
  yield* walk(absolute, absolute);
}

export type FileScanResult =
  | { kind: 'text'; matches: PositionedMatch[]; bytes: number }
  | { kind: 'binary'; bytes: number }
  | { kind: 'unreadable'; reason: string };

/** Bytes read per chunk: big enough to amortise the system calls, small enough to stream. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Scans one file in chunks; memory stays at about one chunk whatever the file size.
 * Reads are synchronous on purpose: on a tree of many small files, the thread-pool round
 * trips of async reads cost four times the scan itself. Callers that must not block an
 * event loop run the scanner in a worker.
 */
export async function scanFile(path: string, compiled?: CompiledDetectors): Promise<FileScanResult> {
  return scanFileSync(path, compiled);
}

/**
 * Two read buffers, reused for every file: reads are synchronous and each chunk is decoded
 * before the next read, so one buffer holds the chunk being scanned and the other the
 * next. Without reuse, a scan of many files allocates its total size in buffers and the
 * process grows with the corpus.
 */
const readBuffers = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)] as const;

export function scanFileSync(path: string, compiled?: CompiledDetectors): FileScanResult {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    return { kind: 'unreadable', reason: (error as NodeJS.ErrnoException).code ?? 'open failed' };
  }
  try {
    const size = fstatSync(descriptor).size;
    // One read for a file smaller than a chunk; the +1 tells "exactly full" from "more".
    const firstLength = Math.min(size + 1, CHUNK_BYTES);
    let turn = 0;
    const buffer = readBuffers[0];
    let bytesRead = readSync(descriptor, buffer, 0, firstLength, null);
    const sniff = sniffEncoding(buffer.subarray(0, Math.min(bytesRead, SNIFF_BYTES)));
    if (sniff.encoding === 'binary') return { kind: 'binary', bytes: size };
    const scanner = createChunkScanner({ encoding: sniff.encoding, bomLength: sniff.bomLength, compiled });
    const matches: PositionedMatch[] = [];
    let total = bytesRead;
    let current: Buffer = buffer.subarray(0, bytesRead);
    let full = bytesRead === firstLength;
    while (full) {
      turn = 1 - turn;
      const next = readBuffers[turn] as Buffer;
      bytesRead = readSync(descriptor, next, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      matches.push(...scanner.push(current));
      current = next.subarray(0, bytesRead);
      total += bytesRead;
      full = bytesRead === CHUNK_BYTES;
    }
    matches.push(...scanner.finish(current));
    return { kind: 'text', matches, bytes: total };
  } catch (error) {
    return { kind: 'unreadable', reason: (error as NodeJS.ErrnoException).code ?? 'read failed' };
  } finally {
    closeSync(descriptor);
  }
}
