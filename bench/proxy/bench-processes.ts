/** Child processes for benchmarks and load runs, each on loopback, stopped with the parent. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface RunningChild {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const ROLE_SCRIPT = resolve(import.meta.dirname, 'bench-role.js');

/** Spawns `node <script> …args` and waits for its first stdout line matching `ready`. */
export function spawnAndWait(command: string, args: string[], env: Record<string, string | undefined>, ready: (line: string) => string | undefined, timeoutMilliseconds = 60_000): Promise<RunningChild> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      if (process.env.REKEY_BENCH_VERBOSE === '1') process.stderr.write(chunk);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args[0] ?? command} did not start in time: ${stderr}`));
    }, timeoutMilliseconds);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0] ?? command} exited with ${code}: ${stderr}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const url = ready(line);
      if (url === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      lines.removeAllListeners('line');
      child.stdout?.resume();
      resolvePromise({
        url,
        process: child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.stdin?.end();
            setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
          }),
      });
    });
  });
}

/**
 * `cpu`: pin the process to that core with taskset; `nodeFlags`: e.g. `--cpu-prof`.
 */
export function spawnRole(role: 'emulator' | 'proxy' | 'serve' | 'upstream' | 'bare', env: Record<string, string | undefined>, placement: { cpu?: number; nodeFlags?: string[] } = {}): Promise<RunningChild> {
  const nodeArgs = [...(placement.nodeFlags ?? []), ROLE_SCRIPT, role];
  const [command, args] = placement.cpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', String(placement.cpu), process.execPath, ...nodeArgs]];
  return spawnAndWait(command, args, env, (line) => {
    try {
      return (JSON.parse(line) as { url?: string }).url;
    } catch {
      return undefined;
    }
  });
}

/** A free loopback port (for a program that cannot listen on port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}
