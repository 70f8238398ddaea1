/**
 * The CLI as a client of a team-mode server (issue 11 item 6). With `--server URL` or
 * REKEY_SERVER set, state commands call the management API instead of opening the
 * database; `rekey login` keeps the session token in `$REKEY_HOME/session.json` (mode
 * 0600, replaced atomically), never in an argument or a log. The server's JSON errors
 * become rekey's typed errors with the same code, so messages and exit codes match local
 * mode (a refusal by the server's roles exits 1 naming the capability and the scope).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, RekeyError, UsageError, type ErrorCode } from '../core/errors.js';
import { assertPrivateFile, replaceFileAtomically } from '../crypto/secure-file.js';
import { resolveHome } from './cli-context.js';
import { currentInvocation } from './invocation.js';

export interface SavedSession {
  server: string;
  token: string;
  user: string;
  session: string;
  expiresAt: string;
}

/** The server this invocation talks to (`--server` is moved into REKEY_SERVER by main), if any. */
export function serverUrl(): string | undefined {
  const configured = process.env.REKEY_SERVER;
  if (configured === undefined || configured.trim() === '') return undefined;
  return normalizeServer(configured);
}

export function normalizeServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UsageError(`the server "${text.slice(0, 80)}" is not a URL`, { hint: 'e.g. --server https://rekey.internal:8420' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the server URL must be http or https, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new UsageError('the server URL must not carry a user name or password; sign in with rekey login');
  if (url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new UsageError(`refusing plain http to ${url.hostname}: a session token would cross the network in clear`, { hint: 'use https (plain http only on loopback)' });
  }
  return url.origin;
}

export function sessionFilePath(home = resolveHome()): string {
  return join(home, 'session.json');
}

export function loadSavedSession(home = resolveHome()): SavedSession | undefined {
  const path = sessionFilePath(home);
  if (!existsSync(path)) return undefined;
  assertPrivateFile(path, 'the session file');
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SavedSession>;
  if (typeof parsed.server !== 'string' || typeof parsed.token !== 'string') throw new ConfigError(`${path} is not a rekey session file`, { hint: 'rekey logout, then rekey login' });
  return parsed as SavedSession;
}

export async function saveSession(session: SavedSession, home = resolveHome()): Promise<void> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  await replaceFileAtomically(sessionFilePath(home), JSON.stringify(session, null, 2) + '\n', { mode: 0o600 });
}

export function forgetSession(home = resolveHome()): void {
  rmSync(sessionFilePath(home), { force: true });
}

const KNOWN_CODES: readonly ErrorCode[] = ['usage', 'config', 'not-found', 'conflict', 'integrity', 'crypto', 'store', 'provider', 'sink', 'policy', 'forbidden', 'internal'];

interface ErrorBody {
  error?: { code?: string; message?: string; hint?: string; held?: string[]; approval?: string };
}

/** `rekey rotate openai/x/prod --approval apr_…`: the same command, run under the approval (words quoted for a shell). */
export function commandWithApproval(approval: string): string {
  const invocation = currentInvocation();
  const words: string[] = [];
  for (let index = 0; index < invocation.length; index++) {
    const word = invocation[index] ?? '';
    if (word === '--approval') {
      index++;
      continue;
    }
    if (!word.startsWith('--approval=')) words.push(word);
  }
  const quoted = words.map((word) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`));
  return ['rekey', ...quoted, '--approval', approval].join(' ');
}

/**
 * How the CLI asks for a one-time code when the server wants a step-up: a hidden prompt
 * on a terminal. Replaceable for tests that drive the CLI in-process.
 */
export const stepUpPrompt = {
  interactive: (): boolean => process.stdin.isTTY === true,
  ask: async (question: string): Promise<string> => (await import('./secret-input.js')).promptHidden(question),
};

/** The body that proves a code: six to eight digits are a TOTP code, anything else a recovery code. */
export function mfaProofBody(code: string): { totp: string } | { recoveryCode: string } {
  const trimmed = code.trim();
  return /^\d{6,8}$/.test(trimmed) ? { totp: trimmed } : { recoveryCode: trimmed };
}

/** The typed error an API error body stands for (the same code, so the same exit code). */
export function errorFromResponse(status: number, body: ErrorBody, server: string): RekeyError {
  const code = body.error?.code ?? '';
  const message = body.error?.message ?? `the server answered HTTP ${status}`;
  if (status === 401) return new ConfigError(message, { hint: `rekey login --server ${server}` });
  if (status === 403 && code === 'approval-required' && body.error?.approval !== undefined) {
    const approval = body.error.approval;
    return new RekeyError('forbidden', `${message} (approval ${approval})`, {
      hint: `another person approves it (rekey approvals approve ${approval}); then repeat exactly: ${commandWithApproval(approval)}`,
    });
  }
  if (status === 403 && (code === 'step-up-required' || code === 'mfa-required')) {
    return new RekeyError('forbidden', message, { hint: 'step up with a current code first: rekey mfa step-up (or --code-stdin), then repeat the command' });
  }
  if (status === 403) {
    const held = body.error?.held ?? [];
    return new RekeyError('forbidden', message, { hint: held.length === 0 ? 'ask an admin for a role binding (rekey role bind)' : `you hold it as: ${held.join('; ')}` });
  }
  if (code === 'bad-request') return new UsageError(message);
  const known = KNOWN_CODES.find((candidate) => candidate === code);
  return new RekeyError(known ?? 'internal', message, body.error?.hint === undefined ? {} : { hint: body.error.hint });
}

export interface ApiClient {
  server: string;
  request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, schema: z.ZodType<T>, body?: unknown): Promise<T>;
}

export function createApiClient(server: string, token: string | undefined): ApiClient {
  async function send(method: string, path: string, body: unknown): Promise<{ status: number; ok: boolean; parsed: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const approval = process.env.REKEY_APPROVAL;
    if (approval !== undefined && approval !== '') headers['x-rekey-approval'] = approval;
    let response: Response;
    try {
      response = await fetch(server + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : 'no answer';
      throw new ConfigError(`cannot reach the rekey server at ${server}: ${reason}`, { hint: 'is rekey serve running there?' });
    }
    const text = await response.text();
    try {
      return { status: response.status, ok: response.ok, parsed: text === '' ? {} : JSON.parse(text) };
    } catch {
      throw new RekeyError('internal', `the server at ${server} answered HTTP ${response.status} with something that is not JSON`);
    }
  }
  return {
    server,
    async request(method, path, schema, body) {
      let answer = await send(method, path, body);
      // A production action wants a fresh MFA proof: on a terminal, ask for a code, step up, and try once more.
      if (answer.status === 403 && (answer.parsed as ErrorBody).error?.code === 'step-up-required' && token !== undefined && stepUpPrompt.interactive()) {
        process.stderr.write(`${(answer.parsed as ErrorBody).error?.message ?? 'this action needs a fresh MFA proof'}\n`);
        const code = await stepUpPrompt.ask('code from your authenticator app (or a recovery code): ');
        const stepped = await send('POST', '/v1/auth/step-up', mfaProofBody(code));
        if (!stepped.ok) throw errorFromResponse(stepped.status, stepped.parsed as ErrorBody, server);
        answer = await send(method, path, body);
      }
      if (!answer.ok) throw errorFromResponse(answer.status, answer.parsed as ErrorBody, server);
      const checked = schema.safeParse(answer.parsed);
      if (!checked.success) throw new RekeyError('internal', `the server at ${server} answered ${method} ${path.split('?')[0] ?? ''} in a shape this CLI does not read (a different rekey version?)`);
      return checked.data;
    },
  };
}

/** The client for the configured server with the saved session, or a config error saying how to sign in. */
export function openApiClient(): ApiClient {
  const server = serverUrl();
  if (server === undefined) throw new ConfigError('no server configured', { hint: 'pass --server URL or set REKEY_SERVER' });
  const saved = loadSavedSession();
  if (saved === undefined || saved.server !== server) throw new ConfigError(`not signed in to ${server}`, { hint: `rekey login --server ${server}` });
  return createApiClient(server, saved.token);
}

/** Records a fresh MFA proof on this person's server session (`rekey mfa step-up`, `mfa verify` over a server). */
export async function remoteStepUp(code: string): Promise<{ method: string; at: string; validUntil: string }> {
  const { z } = await import('zod');
  return openApiClient().request('POST', '/v1/auth/step-up', z.object({ method: z.string(), at: z.string(), validUntil: z.string() }), mfaProofBody(code));
}
