/**
 * Runs the built `rekey` binary through `test/helpers/cli-runner.ts`, and while the
 * process lives samples the argument list (`/proc/<pid>/cmdline`) of it and of every
 * descendant it spawns (git, reload commands…), so a test can assert that no key value
 * was ever passed as a process argument. Sampling cannot see a child that lives less than
 * one interval; the reload probe in the hygiene test records its own argv to cover that.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { REKEY_BIN, spawnRekey, type CliResult } from '../helpers/cli-runner.js';

export interface WatchedResult extends CliResult {
  /** Every distinct argument list seen in the process tree, arguments joined by spaces. */
  commandLines: string[];
}

export interface WatchOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Sampling period; small enough to see git and reload children. */
  intervalMs?: number;
}

function readCommandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`);
    return raw.length === 0 ? undefined : raw.toString('utf8').split('\0').filter((part) => part !== '').join(' ');
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text !== '') children.push(...text.split(/\s+/).map(Number));
    } catch {
      // The task ended between the listing and the read.
    }
  }
  return children;
}

/** The pid and every descendant alive right now. */
export function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.includes(pid)) continue;
    seen.push(pid);
    queue.push(...childrenOf(pid));
  }
  return seen;
}

/** Collects the argument lists of a process tree until stopped. */
export function watchCommandLines(root: number, intervalMs: number): { stop(): string[] } {
  const seen = new Set<string>();
  const sample = () => {
    for (const pid of processTree(root)) {
      const line = readCommandLine(pid);
      if (line !== undefined) seen.add(line);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return [...seen];
    },
  };
}

/**
 * `HYGIENE_REKEY_BIN` points at another build of the binary: a deliberately leaking copy
 * proves the test fails when a value escapes (see the README beside this file).
 */
const BIN = process.env.HYGIENE_REKEY_BIN ?? REKEY_BIN;

function spawnWatched(args: string[], options: WatchOptions): ChildProcessWithoutNullStreams {
  return spawnRekey(args, { env: options.env, cwd: options.cwd, bin: BIN });
}

/** One command to completion: exit code, output and every argument list seen. */
export function runWatched(args: string[], options: WatchOptions = {}): Promise<WatchedResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnWatched(args, options);
    const watcher = child.pid === undefined ? { stop: () => [] } : watchCommandLines(child.pid, options.intervalMs ?? 15);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      watcher.stop();
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr, commandLines: watcher.stop() });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface BackgroundRekey {
  pid: number;
  /** Resolves with the first match of `pattern` in stderr (or stdout), or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends SIGTERM and resolves when the process has exited. */
  stop(): Promise<WatchedResult>;
}

/** A long-running command (serve, proxy) started in the background. */
export function startWatched(args: string[], options: WatchOptions = {}): BackgroundRekey {
  const child = spawnWatched(args, options);
  if (child.pid === undefined) throw new Error(`could not start rekey ${args.join(' ')}`);
  const pid = child.pid;
  const watcher = watchCommandLines(pid, options.intervalMs ?? 15);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), changed()));
  child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), changed()));
  let exitedAlready = false;
  const exited = new Promise<number>((resolvePromise) =>
    child.on('close', (code) => {
      exitedAlready = true;
      changed();
      resolvePromise(code ?? -1);
    }),
  );
  child.stdin.end(options.input ?? '');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);

  return {
    pid,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const match = pattern.exec(stderr) ?? pattern.exec(stdout);
          if (match !== null) return finish(() => resolvePromise(match));
          if (exitedAlready) return finish(() => reject(new Error(`rekey ${args[0] ?? ''} exited before printing ${String(pattern)}:\n${stderr}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`rekey ${args[0] ?? ''} did not print ${String(pattern)} within ${timeoutMs} ms:\n${stderr}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!exitedAlready) child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(killTimer);
      return { code, stdout, stderr, commandLines: watcher.stop() };
    },
  };
}
