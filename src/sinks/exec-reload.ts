/**
 * Exec reload action: after delivery, run a command (restart a service, signal a
 * process, push a value somewhere rekey has no sink for). The key reaches the command
 * through an environment variable or its standard input — never its argument list,
 * which any user on the machine can read in `ps`. No shell unless configured.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { ConfigError, SinkError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import { isGuardedSecretVariable } from './sink-credentials.js';

const execReloadSchema = z
  .object({
    kind: z.literal('exec'),
    /** Program and arguments, e.g. ["systemctl", "reload", "ticketing"]; a string when `shell` is true. */
    command: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
    shell: z.boolean().optional(),
    /** How the key reaches the command: `env` (default), `stdin`, or `none`. */
    keyVia: z.enum(['env', 'stdin', 'none']).optional(),
    /** The variable that carries the key when keyVia is `env`. */
    envName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    timeoutSeconds: z.number().positive().max(3600).optional(),
    cwd: z.string().min(1).optional(),
    /** Extra, non-secret environment variables. */
    env: z.record(z.string(), z.string()).optional(),
    /** Names of rekey's own environment variables to pass through (beyond PATH, HOME, locale…). */
    passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).optional(),
  })
  .strict()
  .refine((config) => config.shell === true || Array.isArray(config.command), {
    message: 'must be an array of program and arguments unless shell is true',
    path: ['command'],
  });

export type ExecReloadConfig = z.input<typeof execReloadSchema>;

export interface ReloadRequest {
  /** The consumer's name, for messages. */
  consumerName: string;
  credential: string;
  version: number;
  fingerprint: string;
  value: SecretValue;
  signal?: AbortSignal | undefined;
}

export interface ReloadResult {
  exitCode: number;
  durationMs: number;
}

export interface ExecReload {
  describe(): string;
  run(request: ReloadRequest): Promise<ReloadResult>;
}

/**
 * The reload command runs with a small, allow-listed environment: rekey's own process
 * holds secrets (REKEY_MASTER_KEY, provider admin keys) that a reload script must not see.
 */
const INHERITED = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP|SYSTEMROOT|COMSPEC|PATHEXT|WINDIR|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS)$/;

function inheritedEnvironment(passEnv: readonly string[]): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (INHERITED.test(name) || passEnv.includes(name)) environment[name] = value;
  }
  return environment;
}

const STDERR_KEEP = 4096;
/** Tokens that look like keys or tokens (long runs of key characters, `sk-…`, bearer values). */
const SECRET_LOOKING = /\b(?:sk|rk|pk|xox[a-z])-[A-Za-z0-9_-]{8,}|\b[A-Za-z0-9_+/=-]{32,}/g;

/**
 * The last lines of a failed command's stderr, redacted: the key itself, and anything that
 * looks like a key or token, become `[redacted]`; control characters are dropped; at most
 * three lines and 300 characters.
 */
export function stderrTail(stderr: string, value: string): string {
  let text = value.length >= 4 ? stderr.split(value).join('[redacted]') : stderr;
  text = text.replace(SECRET_LOOKING, '[redacted]');
  text = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
  const tail = lines.slice(-3).join(' | ');
  return tail.length > 300 ? `…${tail.slice(-299)}` : tail;
}

export function createExecReload(config: Record<string, unknown>, consumerName: string): ExecReload {
  const parsed = execReloadSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`consumer ${consumerName}: exec reload option "${issue?.path.join('.') || '(config)'}" ${issue?.message ?? 'is invalid'}`, {
      hint: 'exec reload: { kind: "exec", command: ["program", "arg"], keyVia?: "env"|"stdin"|"none", timeoutSeconds?: 30 }',
    });
  }
  const options = parsed.data;
  const refused = (options.passEnv ?? []).filter((name) => isGuardedSecretVariable(name));
  if (refused.length > 0) {
    throw new ConfigError(`consumer ${consumerName}: exec reload passEnv may not pass rekey's own secrets (${refused.join(', ')})`);
  }
  const keyVia = options.keyVia ?? 'env';
  const envName = options.envName ?? 'REKEY_KEY';
  const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
  const program = Array.isArray(options.command) ? options.command : [options.command];
  const label = `exec ${program[0] ?? ''}`;

  return {
    describe: () => label,

    run(request) {
      const value = request.value.reveal();
      // Defence in depth: a configured argument list must never carry the key.
      if (program.some((argument) => argument.includes(value))) {
        return Promise.reject(new ConfigError(`consumer ${consumerName}: the reload command's arguments contain the key; pass it through env or stdin`));
      }
      const environment: NodeJS.ProcessEnv = {
        ...inheritedEnvironment(options.passEnv ?? []),
        ...options.env,
        REKEY_CREDENTIAL: request.credential,
        REKEY_VERSION: String(request.version),
        REKEY_FINGERPRINT: request.fingerprint,
      };
      if (keyVia === 'env') environment[envName] = value;
      const started = Date.now();
      return new Promise<ReloadResult>((resolve, reject) => {
        const [file, ...args] = program;
        const child = spawn(file ?? '', args, {
          shell: options.shell === true,
          cwd: options.cwd,
          env: environment,
          stdio: [keyVia === 'stdin' ? 'pipe' : 'ignore', 'ignore', 'pipe'],
          signal: request.signal,
        });
        // Keep only the last few KiB of stderr: enough to say why it failed.
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
        });
        const said = () => {
          const tail = stderrTail(stderr, value);
          return tail === '' ? '' : `; its stderr ends: ${tail}`;
        };
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 2000).unref();
        }, timeoutMs);
        const sinkError = (message: string, isRetryable: boolean, code?: string): SinkError =>
          new SinkError(`${label} for consumer ${consumerName}: ${message}`, {
            sink: 'exec',
            isRetryable,
            cause: code === undefined ? undefined : { code },
          });
        child.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(sinkError('could not start the command', false, error.code));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (timedOut) return reject(sinkError(`timed out after ${timeoutMs / 1000}s${said()}`, true));
          if (code !== 0) return reject(sinkError(`${code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`}${said()}`, true));
          resolve({ exitCode: 0, durationMs: Date.now() - started });
        });
        if (keyVia === 'stdin' && child.stdin !== null) {
          // A command that exits without reading stdin is fine: ignore EPIPE.
          child.stdin.on('error', () => undefined);
          child.stdin.end(value + '\n');
        }
      });
    },
  };
}
