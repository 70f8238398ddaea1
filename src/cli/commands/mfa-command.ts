/**
 * `rekey mfa enroll|confirm|verify|recovery-codes|status`: TOTP for a person. The secret and
 * the otpauth URI are printed once, on this terminal, for the person enrolling; codes are
 * read from a hidden prompt or stdin, never from an argument.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { MfaDeps } from '../../team/mfa-service.js';
import { withCliContext, type CliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { colour, printJson } from '../output.js';
import { promptHidden, readStdinText } from '../secret-input.js';
import { teamDeps } from './user-command.js';

export function mfaDeps(context: CliContext): MfaDeps {
  return { ...teamDeps(context), envelope: context.keys.envelope };
}

/** A code from the first line of stdin (`--code-stdin`) or a hidden prompt. */
export async function readCode(options: { codeStdin?: boolean }, question = 'code from your authenticator app (or a recovery code): '): Promise<string> {
  if (options.codeStdin === true) {
    const line = (await readStdinText()).split(/\r?\n/)[0]?.trim() ?? '';
    if (line === '') throw new UsageError('no code on stdin');
    return line;
  }
  if (!process.stdin.isTTY) throw new UsageError('cannot prompt for the code: stdin is not a terminal', { hint: 'pipe it in with --code-stdin' });
  return (await promptHidden(question)).trim();
}

/**
 * Over a server a person manages their own MFA: the user argument may be left out, and
 * when given must be the signed-in person. Locally it is required.
 */
async function personFor(name: string | undefined): Promise<string> {
  if (serverUrl() === undefined) {
    if (name === undefined) throw new UsageError('name the user (local mode), e.g. rekey mfa status alice');
    return name;
  }
  const { loadSavedSession } = await import('../server-client.js');
  const person = loadSavedSession()?.user ?? '';
  if (name !== undefined && name !== person) throw new UsageError(`signed in as ${person}: over a server you manage your own MFA, not ${name}'s`, { hint: `an admin withdraws someone else's with rekey user reset-mfa ${name}` });
  return person;
}

async function api() {
  const [{ openApiClient }, { z }] = await Promise.all([import('../server-client.js'), import('zod')]);
  return { client: openApiClient(), z };
}

function printRecoveryCodes(codes: readonly string[]): void {
  process.stdout.write(`recovery codes (each works once; keep them offline, they are not shown again):\n${codes.map((code) => `  ${code}`).join('\n')}\n`);
}

export function register(program: Command): void {
  const mfa = program.command('mfa').description('Multi-factor authentication for people: TOTP enrolment, verification and recovery codes');

  mfa
    .command('enroll [user]')
    .description('Start TOTP enrolment: prints the otpauth URI and secret for the authenticator app (to this terminal only)')
    .option('--json', 'print JSON')
    .action(async (given: string | undefined, options: { json?: boolean }) => {
      const name = await personFor(given);
      const { enrollTotp } = await import('../../team/mfa-service.js');
      const enrolment = serverUrl() !== undefined
        ? await api().then(({ client, z }) => client.request('POST', '/v1/mfa/totp', z.object({ uri: z.string(), secret: z.string() })))
        : await withCliContext((context) => enrollTotp(mfaDeps(context), name));
      if (options.json === true) return printJson({ user: name, uri: enrolment.uri, secret: enrolment.secret });
      process.stdout.write(
        `Add this account to your authenticator app (scan or paste the URI, or type the secret):\n  ${enrolment.uri}\n  secret: ${enrolment.secret}\n` +
          `then confirm with a first code: rekey mfa confirm ${name}\n`,
      );
      return undefined;
    });

  mfa
    .command('confirm [user]')
    .description('Confirm TOTP enrolment with a first code; prints the one-time recovery codes')
    .option('--code-stdin', 'read the code from the first line of stdin (default: a hidden prompt)')
    .option('--json', 'print JSON')
    .action(async (given: string | undefined, options: { codeStdin?: boolean; json?: boolean }) => {
      const name = await personFor(given);
      const code = await readCode(options, 'code from your authenticator app: ');
      const { confirmTotp } = await import('../../team/mfa-service.js');
      const { recoveryCodes } = serverUrl() !== undefined
        ? await api().then(async ({ client, z }) => client.request('POST', '/v1/mfa/totp/confirm', z.object({ recoveryCodes: z.array(z.string()) }), (await import('../server-client.js')).mfaProofBody(code)))
        : await withCliContext((context) => confirmTotp(mfaDeps(context), name, code));
      if (options.json === true) return printJson({ user: name, mfa: 'totp', recoveryCodes });
      process.stdout.write(`${colour.green('enrolled')} TOTP for ${name}\n`);
      printRecoveryCodes(recoveryCodes);
      return undefined;
    });

  mfa
    .command('verify [user]')
    .description('Check a TOTP code or spend a recovery code (each is accepted once); over a server it is recorded on your session as a step-up')
    .option('--code-stdin', 'read the code from the first line of stdin (default: a hidden prompt)')
    .option('--json', 'print JSON')
    .action(async (given: string | undefined, options: { codeStdin?: boolean; json?: boolean }) => {
      const name = await personFor(given);
      const code = await readCode(options);
      const { verifyMfa } = await import('../../team/mfa-service.js');
      const method = serverUrl() !== undefined ? (await (await import('../server-client.js')).remoteStepUp(code)).method : await withCliContext((context) => verifyMfa(mfaDeps(context), name, code));
      if (options.json === true) return printJson({ user: name, verified: true, method });
      process.stdout.write(`${colour.green('verified')} ${name} (${method})\n`);
      return undefined;
    });

  mfa
    .command('recovery-codes [user]')
    .description('Replace the recovery codes (the old ones stop working); needs a current code')
    .option('--code-stdin', 'read the code from the first line of stdin (default: a hidden prompt)')
    .option('--json', 'print JSON')
    .action(async (given: string | undefined, options: { codeStdin?: boolean; json?: boolean }) => {
      const name = await personFor(given);
      const code = await readCode(options);
      const { regenerateRecoveryCodes } = await import('../../team/mfa-service.js');
      const codes = serverUrl() !== undefined
        ? (await api().then(async ({ client, z }) => client.request('POST', '/v1/mfa/recovery-codes', z.object({ recoveryCodes: z.array(z.string()) }), (await import('../server-client.js')).mfaProofBody(code)))).recoveryCodes
        : await withCliContext((context) => regenerateRecoveryCodes(mfaDeps(context), name, code));
      if (options.json === true) return printJson({ user: name, recoveryCodes: codes });
      printRecoveryCodes(codes);
      return undefined;
    });

  mfa
    .command('status [user]')
    .description('Whether a person has TOTP enrolled and how many recovery codes are left')
    .option('--json', 'print JSON')
    .action(async (given: string | undefined, options: { json?: boolean }) => {
      const name = await personFor(given);
      const { mfaStatus } = await import('../../team/mfa-service.js');
      const status = serverUrl() !== undefined
        ? await api().then(({ client, z }) => client.request('GET', '/v1/mfa', z.object({ user: z.string(), totp: z.enum(['none', 'pending', 'confirmed']), recoveryCodesLeft: z.number() })))
        : await withCliContext((context) => mfaStatus(context, name));
      if (options.json === true) return printJson(status);
      process.stdout.write(`${status.user}: TOTP ${status.totp}, ${status.recoveryCodesLeft} recovery code(s) left\n`);
      return undefined;
    });

  mfa
    .command('step-up')
    .description('Server mode: record a fresh MFA proof on your session (production reveal, rotate, emergency, end grace, token creation and approving need one from the last 5 minutes)')
    .option('--code-stdin', 'read the code from the first line of stdin (default: a hidden prompt)')
    .option('--json', 'print JSON')
    .action(async (options: { codeStdin?: boolean; json?: boolean }) => {
      if (serverUrl() === undefined) throw new UsageError('step-up is for server mode: local mode has no session to record it on', { hint: 'rekey mfa step-up --server URL (after rekey login)' });
      const code = await readCode(options);
      const { remoteStepUp } = await import('../server-client.js');
      const stepped = await remoteStepUp(code);
      if (options.json === true) return printJson(stepped);
      process.stdout.write(`${colour.green('stepped up')} (${stepped.method}); production actions allowed until ${stepped.validUntil}\n`);
      return undefined;
    });
}
