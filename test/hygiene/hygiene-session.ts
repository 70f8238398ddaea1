/**
 * The bookkeeping of the hygiene test: the secrets planted so far, the output of every
 * command run (with the ones that may print a value, such as `credential reveal`, kept out
 * of the search), and every process argument list seen.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Haystack, PlantedSecret } from './leak-search.js';
import { runWatched, type WatchOptions, type WatchedResult } from './watched-process.js';

export interface HygieneSession {
  readonly secrets: PlantedSecret[];
  readonly haystacks: Haystack[];
  readonly commandLines: Set<string>;
  /** Every file path `sampleDirectory` copied at least once (non-empty). */
  readonly sampledFiles: Set<string>;
  /** Plants a secret (or learns one rekey created) under a label; returns the value. */
  plant<T extends string | Buffer>(label: string, value: T): T;
  /** Runs `rekey <args>`, recording its output and argument lists. */
  rekey(args: string[], options?: RunOptions): Promise<WatchedResult>;
  /** Records output and argument lists of a process run some other way. */
  record(label: string, result: { stdout: string; stderr: string; commandLines: string[] }, options?: { excludeStdout?: boolean; allowed?: readonly string[] }): void;
  /** Adds every file under a directory, recursively, as raw bytes. */
  addTree(directory: string, allowedFor?: (path: string) => readonly string[] | undefined): string[];
  addFile(path: string, allowed?: readonly string[]): void;
  /**
   * Copies the files of a directory every `intervalMs` until stopped, and adds each distinct
   * copy: SQLite's -wal file exists only while a connection is open, so it is caught mid-run.
   */
  sampleDirectory(directory: string, label: string, allowedFor?: (path: string) => readonly string[] | undefined): { stop(): string[] };
}

export interface RunOptions extends WatchOptions {
  /** Exit codes the command may end with (default: only 0). */
  expectCodes?: readonly number[];
  /** Leave stdout out of the search (`credential reveal`). Stderr is always searched. */
  excludeStdout?: boolean;
  /** Secrets this command's output is expected to hold (a token printed once at creation). */
  allowed?: readonly string[];
  /** Sample this directory's files while the command runs (see `sampleDirectory`). */
  sample?: { directory: string; allowedFor?: (path: string) => readonly string[] | undefined };
}

export function createHygieneSession(baseEnv: () => Record<string, string | undefined>): HygieneSession {
  const secrets: PlantedSecret[] = [];
  const haystacks: Haystack[] = [];
  const commandLines = new Set<string>();
  const sampledFiles = new Set<string>();

  const session: HygieneSession = {
    secrets,
    haystacks,
    commandLines,
    sampledFiles,
    plant(label, value) {
      const known = secrets.find((secret) => Buffer.from(secret.value).equals(Buffer.from(value)));
      if (known === undefined) secrets.push({ label, value });
      return value;
    },
    async rekey(args, options = {}) {
      const label = `rekey ${args.join(' ')}`;
      const sampler = options.sample === undefined ? undefined : session.sampleDirectory(options.sample.directory, label, options.sample.allowedFor);
      let result: WatchedResult;
      const started = Date.now();
      try {
        result = await runWatched(args, { ...options, env: { ...baseEnv(), ...options.env } });
      } finally {
        sampler?.stop();
        if (process.env.HYGIENE_DEBUG === '1') process.stderr.write(`hygiene: ${Date.now() - started} ms ${label}\n`);
      }
      const expected = options.expectCodes ?? [0];
      if (!expected.includes(result.code)) {
        throw new Error(`${label} exited ${result.code}, expected ${expected.join(' or ')}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
      }
      session.record(label, result, options);
      return result;
    },
    record(label, result, options = {}) {
      if (options.excludeStdout !== true) haystacks.push({ source: `${label} (stdout)`, bytes: Buffer.from(result.stdout), allowed: options.allowed });
      haystacks.push({ source: `${label} (stderr)`, bytes: Buffer.from(result.stderr), allowed: options.allowed });
      for (const line of result.commandLines) commandLines.add(line);
    },
    addTree(directory, allowedFor) {
      const added: string[] = [];
      for (const entry of readdirSync(directory)) {
        const path = join(directory, entry);
        if (statSync(path).isDirectory()) added.push(...session.addTree(path, allowedFor));
        else {
          session.addFile(path, allowedFor?.(path));
          added.push(path);
        }
      }
      return added;
    },
    addFile(path, allowed) {
      haystacks.push({ source: path, bytes: readFileSync(path), allowed });
    },
    sampleDirectory(directory, label, allowedFor) {
      const last = new Map<string, Buffer>();
      const sampled = new Set<string>();
      const keep = (path: string, bytes: Buffer) => {
        haystacks.push({ source: `${path} (while ${label} ran)`, bytes, allowed: allowedFor?.(path) });
        sampled.add(path);
        if (bytes.length > 0) sampledFiles.add(path);
      };
      const sample = () => {
        let entries: string[];
        try {
          entries = readdirSync(directory);
        } catch {
          return;
        }
        for (const entry of entries) {
          const path = join(directory, entry);
          let bytes: Buffer;
          try {
            bytes = readFileSync(path);
          } catch {
            continue; // removed (a -wal at close) or a directory
          }
          const previous = last.get(path);
          // Keep a copy before the file shrinks (a WAL checkpoint restarts it), so no frame is lost.
          if (previous !== undefined && bytes.length < previous.length) keep(path, previous);
          last.set(path, bytes);
        }
      };
      sample();
      const timer = setInterval(sample, 50);
      return {
        stop() {
          clearInterval(timer);
          sample();
          for (const [path, bytes] of last) keep(path, bytes);
          return [...sampled];
        },
      };
    },
  };
  return session;
}
