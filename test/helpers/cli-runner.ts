/**
 * The one way end-to-end tests run the built `rekey` binary, as a user would: a real
 * process with exactly the environment given (plus PATH and NO_COLOR), stdin, exit code.
 * `runRekey` runs a command to completion; `startRekey` starts one in the background and
 * waits for what it prints (serve, proxy, a rotation to interrupt).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REKEY_BIN = resolve(import.meta.dirname, '../../dist/src/cli/bin.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  /** SIGKILL after this long (default 30 s). */
  timeoutMs?: number;
  /** Another build of the binary (default: this checkout's `dist/`). */
  bin?: string;
}

/** The process itself, for callers that watch it (its pid, its argument lists). */
export function spawnRekey(args: readonly string[], options: CliRunOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [options.bin ?? REKEY_BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function runRekey(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnRekey(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface RunningRekey {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** The exit code (128 when a signal ended it). */
  exited: Promise<number>;
  /** Resolves with the first match of `pattern` on stderr or stdout; rejects after `timeoutMs` or when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export function startRekey(args: readonly string[], options: Omit<CliRunOptions, 'timeoutMs'> = {}): RunningRekey {
  const child = spawnRekey(args, options);
  let stdout = '';
  let stderr = '';
  let ended = false;
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), changed()));
  child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), changed()));
  const exited = new Promise<number>((resolvePromise) =>
    child.on('close', (code, signal) => {
      ended = true;
      changed();
      resolvePromise(code ?? (signal === null ? -1 : 128));
    }),
  );
  child.stdin.end(options.input ?? '');
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolvePromise, reject) => {
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        const check = () => {
          const match = pattern.exec(stderr) ?? pattern.exec(stdout);
          if (match !== null) return finish(() => resolvePromise(match));
          if (ended) finish(() => reject(new Error(`rekey ${args[0] ?? ''} exited before printing ${String(pattern)}; stdout: ${stdout}\nstderr: ${stderr}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${String(pattern)}; stdout: ${stdout}\nstderr: ${stderr}`))), timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

export function temporaryHome(prefix = 'rekey-home-'): string {
  return join(mkdtempSync(join(tmpdir(), prefix)), 'home');
}
