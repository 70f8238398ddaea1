/**
 * `rekey login --server URL`, `rekey logout`, `rekey whoami`: a person's session on a
 * team-mode server. The password comes from a hidden prompt or the first line of stdin,
 * never from an argument; the session token goes to `$REKEY_HOME/session.json` (0600).
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { ConfigError, UsageError } from '../../core/errors.js';
import { loginResponseSchema, whoamiSchema } from '../../server/routes/auth-api-routes.js';
import { colour, printJson } from '../output.js';
import { promptHidden, readStdinText } from '../secret-input.js';
import { createApiClient, forgetSession, loadSavedSession, mfaProofBody, openApiClient, saveSession, serverUrl } from '../server-client.js';

/** The password (and, when the account has one, the one-time code on the second line) from stdin or prompts. */
async function readLoginSecrets(passwordStdin: boolean): Promise<{ password: string; nextCode: () => Promise<string> }> {
  if (passwordStdin) {
    const lines = (await readStdinText()).split(/\r?\n/);
    const password = lines[0] ?? '';
    if (password === '') throw new UsageError('no password on stdin');
    return {
      password,
      nextCode: async () => {
        const code = lines[1]?.trim() ?? '';
        if (code === '') throw new UsageError('this account needs a one-time code: put it on the second line of stdin');
        return code;
      },
    };
  }
  if (!process.stdin.isTTY) throw new UsageError('cannot prompt for the password: stdin is not a terminal', { hint: 'pipe it in with --password-stdin' });
  return { password: await promptHidden('password: '), nextCode: () => promptHidden('one-time code: ') };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('Sign in to a rekey server (--server URL or REKEY_SERVER); the session is kept in $REKEY_HOME/session.json (0600)')
    .option('--server <url>', 'the rekey server, e.g. https://rekey.internal:8420 (or REKEY_SERVER); with any state command it runs that command there')
    .option('--user <name>', 'the account (default: your OS user name)')
    .option('--password-stdin', 'read the password from the first line of stdin (a one-time code, when needed, from the second)')
    .option('--sso <provider>', 'sign in through an SSO provider: a loopback listener gets the one-time code after the browser sign-in')
    .option('--workload-token-stdin', "CI: read the job's OIDC token from stdin and exchange it for a 15-minute session as its workload identity")
    .option('--workload-token-env [variable]', "CI: the same, with the OIDC token from an environment variable (default REKEY_OIDC_TOKEN)")
    .option('--json', 'print JSON')
    .action(async (options: { user?: string; passwordStdin?: boolean; sso?: string; workloadTokenStdin?: boolean; workloadTokenEnv?: string | boolean; json?: boolean }) => {
      const server = serverUrl();
      if (server === undefined) throw new UsageError('name the server: rekey login --server URL (or set REKEY_SERVER)');
      if (options.workloadTokenStdin === true || options.workloadTokenEnv !== undefined) return workloadLogin(server, options);
      if (options.sso !== undefined) return ssoLogin(server, options.sso, options.json === true);
      const user = options.user ?? osUser();
      const secrets = await readLoginSecrets(options.passwordStdin === true);
      const client = createApiClient(server, undefined);
      let answer;
      try {
        answer = await client.request('POST', '/v1/auth/login', loginResponseSchema, { user, password: secrets.password });
      } catch (error) {
        if (!(error instanceof ConfigError) || !/second factor is required/.test(error.message)) throw error;
        answer = await client.request('POST', '/v1/auth/login', loginResponseSchema, { user, password: secrets.password, mfa: mfaProofBody(await secrets.nextCode()) });
      }
      await saveSession({ server, token: answer.token, user: answer.user.name, session: answer.session.id, expiresAt: answer.session.expiresAt });
      if (options.json === true) printJson({ server, user: answer.user.name, session: answer.session.id, expiresAt: answer.session.expiresAt, idleSeconds: answer.session.idleSeconds });
      else process.stdout.write(`${colour.green('signed in')} to ${server} as ${answer.user.name} (session ${answer.session.id}, until ${answer.session.expiresAt}, ends after ${Math.round(answer.session.idleSeconds / 60)} min idle)\n`);
    });
}

/**
 * SSO from the CLI (RFC 8252): listen on a loopback port, send the person's browser to the
 * server's start URL with that port and the S256 challenge of a verifier only this process
 * knows, receive the one-time code on the loopback redirect, exchange it with the verifier.
 */
async function ssoLogin(server: string, provider: string, json: boolean): Promise<void> {
  const [{ createServer }, { randomBytes, createHash }, { ssoExchangeResponse }] = await Promise.all([import('node:http'), import('node:crypto'), import('../../server/routes/sso-routes.js')]);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  let deliver: (code: string) => void = () => undefined;
  const received = new Promise<string>((resolve) => (deliver = resolve));
  const listener = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const code = url.searchParams.get('code');
    if (url.pathname !== '/callback' || code === null) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end('<!doctype html><title>rekey</title><p>Signed in to rekey. You can close this tab.</p>');
    deliver(code);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  try {
    const start = `${server}/v1/auth/sso/${encodeURIComponent(provider)}/start?cli_redirect=${encodeURIComponent(`http://127.0.0.1:${port}/callback`)}&cli_challenge=${challenge}`;
    process.stderr.write(`open this URL in your browser to sign in with ${provider}:\n  ${start}\n`);
    if (process.stdout.isTTY && process.env.REKEY_NO_BROWSER === undefined) {
      const { spawn } = await import('node:child_process');
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      spawn(opener, [start], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
    }
    const timeout = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new UsageError('no sign-in within 5 minutes')), 5 * 60_000).unref());
    const code = await Promise.race([received, timeout]);
    const answer = await createApiClient(server, undefined).request('POST', '/v1/auth/sso/exchange', ssoExchangeResponse, { code, verifier });
    await saveSession({ server, token: answer.token, user: answer.user.name, session: answer.session.id, expiresAt: answer.session.expiresAt });
    if (json) return printJson({ server, user: answer.user.name, session: answer.session.id, expiresAt: answer.session.expiresAt, mfa: answer.session.mfa });
    process.stdout.write(`${colour.green('signed in')} to ${server} as ${answer.user.name} through ${provider} (session ${answer.session.id}, until ${answer.session.expiresAt})\n`);
    return undefined;
  } finally {
    listener.close();
  }
}

/** A CI job: its OIDC token (stdin or an environment variable, never an argument) → a workload session. */
async function workloadLogin(server: string, options: { user?: string; passwordStdin?: boolean; workloadTokenStdin?: boolean; workloadTokenEnv?: string | boolean; json?: boolean }): Promise<void> {
  if (options.user !== undefined || options.passwordStdin === true) throw new UsageError('a workload login takes no --user or --password-stdin: the OIDC token says who the job is');
  if (options.workloadTokenStdin === true && options.workloadTokenEnv !== undefined) throw new UsageError('use --workload-token-stdin or --workload-token-env, not both');
  let token: string;
  if (options.workloadTokenStdin === true) {
    token = (await readStdinText()).trim();
    if (token === '') throw new UsageError('no OIDC token on stdin');
  } else {
    const variable = typeof options.workloadTokenEnv === 'string' ? options.workloadTokenEnv : 'REKEY_OIDC_TOKEN';
    token = process.env[variable]?.trim() ?? '';
    if (token === '') throw new UsageError(`the environment variable ${variable} holds no OIDC token`, { hint: 'GitHub Actions: request it with permissions: id-token: write (see README "OIDC")' });
  }
  const { workloadLoginResponse } = await import('../../server/routes/identity-api-routes.js');
  const answer = await createApiClient(server, undefined).request('POST', '/v1/auth/workload', workloadLoginResponse, { token });
  await saveSession({ server, token: answer.token, user: answer.actor, session: answer.session.id, expiresAt: answer.session.expiresAt });
  if (options.json === true) return printJson({ server, user: answer.actor, session: answer.session.id, expiresAt: answer.session.expiresAt, groups: answer.identity.groups });
  process.stdout.write(`${colour.green('signed in')} to ${server} as ${answer.actor}${answer.identity.groups.length > 0 ? ` in ${answer.identity.groups.join(', ')}` : ''} (session ${answer.session.id}, until ${answer.session.expiresAt}, no refresh)\n`);
  return undefined;
}

export function registerLogout(program: Command): void {
  program
    .command('logout')
    .description('End the session on the rekey server and forget it here')
    .action(async () => {
      const saved = loadSavedSession();
      if (saved === undefined) {
        process.stdout.write('not signed in\n');
        return;
      }
      try {
        await createApiClient(saved.server, saved.token).request('POST', '/v1/auth/logout', z.object({ session: z.string() }).loose());
      } catch (error) {
        // An expired or revoked session is already over; forget it all the same.
        if (!(error instanceof ConfigError)) throw error;
      }
      forgetSession();
      process.stdout.write(`${colour.green('signed out')} of ${saved.server} (session ${saved.session})\n`);
    });
}

export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('Who you are on the rekey server: account, session and role grants')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      if (serverUrl() === undefined) {
        const saved = loadSavedSession();
        if (saved !== undefined) process.env.REKEY_SERVER = saved.server;
        else throw new UsageError('not signed in to a server (local mode acts as your OS user)', { hint: 'rekey login --server URL' });
      }
      const answer = await openApiClient().request('GET', '/v1/auth/whoami', whoamiSchema);
      if (options.json === true) return printJson(answer);
      process.stdout.write(`${answer.user.name} on ${serverUrl() ?? ''} (session ${answer.session.id}, until ${answer.session.expiresAt}${answer.session.mfa === null ? '' : `, MFA ${answer.session.mfa}`})\n`);
      for (const grant of answer.grants) process.stdout.write(`  ${grant.role} on ${grant.scope}: ${grant.capabilities.join(', ')}\n`);
      if (answer.grants.length === 0) process.stdout.write('  no role bindings: every action is refused\n');
      return undefined;
    });
}

export function register(program: Command): void {
  registerLogin(program);
  registerLogout(program);
  registerWhoami(program);
}
