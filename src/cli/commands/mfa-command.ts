/**
 * `rekey mfa enroll|confirm|verify|recovery-codes|status`: TOTP for a person. The secret and
 * the otpauth URI are printed once, on this terminal, for the person enrolling; codes are
 * read from a hidden prompt or stdin, never from an argument.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { MfaDeps } from '../../team/mfa-service.js';
import { withCliContext, type CliContext } from '../cli-context.js';
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

function printRecoveryCodes(codes: readonly string[]): void {
  process.stdout.write(`recovery codes (each works once; keep them offline, they are not shown again):\n${codes.map((code) => `  ${code}`).join('\n')}\n`);
}

export function register(program: Command): void {
  const mfa = program.command('mfa').description('Multi-factor authentication for people: TOTP enrolment, verification and recovery codes');

  mfa
    .command('enroll <user>')
    .description('Start TOTP enrolment: prints the otpauth URI and secret for the authenticator app (to this terminal only)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const { enrollTotp } = await import('../../team/mfa-service.js');
      const enrolment = await withCliContext((context) => enrollTotp(mfaDeps(context), name));
      if (options.json === true) return printJson({ user: name, uri: enrolment.uri, secret: enrolment.secret });
      process.stdout.write(
        `Add this account to your authenticator app (scan or paste the URI, or type the secret):\n  ${enrolment.uri}\n  secret: ${enrolment.secret}\n` +
          `then confirm with a first code: rekey mfa confirm ${name}\n`,
      );
      return undefined;
    });

  mfa
    .command('confirm <user>')
    .description('Confirm TOTP enrolment with a first code; prints the one-time recovery codes')
    .option('--code-stdin', 'read the code from the first line of stdin (default: a hidden prompt)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { codeStdin?: boolean; json?: boolean }) => {
      const code = await readCode(options, 'code from your authenticator app: ');
      const { confirmTotp } = await import('../../team/mfa-service.js');
      const { recoveryCodes } = await withCliContext((context) => confirmTotp(mfaDeps(context), name, code));
      if (options.json === true) return printJson({ user: name, mfa: 'totp', recoveryCodes });
      process.stdout.write(`${colour.green('enrolled')} TOTP for ${name}\n`);
      printRecoveryCodes(recoveryCodes);
      return undefined;
    });

  mfa
    .command('verify <user>')
    .description('Check a TOTP code or spend a recovery code (each is accepted once)')
    .option('--code-stdin', 'read the code from the first line of stdin (default: a hidden prompt)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { codeStdin?: boolean; json?: boolean }) => {
      const code = await readCode(options);
      const { verifyMfa } = await import('../../team/mfa-service.js');
      const method = await withCliContext((context) => verifyMfa(mfaDeps(context), name, code));
      if (options.json === true) return printJson({ user: name, verified: true, method });
      process.stdout.write(`${colour.green('verified')} ${name} (${method})\n`);
      return undefined;
    });

  mfa
    .command('recovery-codes <user>')
    .description('Replace the recovery codes (the old ones stop working); needs a current code')
    .option('--code-stdin', 'read the code from the first line of stdin (default: a hidden prompt)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { codeStdin?: boolean; json?: boolean }) => {
      const code = await readCode(options);
      const { regenerateRecoveryCodes } = await import('../../team/mfa-service.js');
      const codes = await withCliContext((context) => regenerateRecoveryCodes(mfaDeps(context), name, code));
      if (options.json === true) return printJson({ user: name, recoveryCodes: codes });
      printRecoveryCodes(codes);
      return undefined;
    });

  mfa
    .command('status <user>')
    .description('Whether a person has TOTP enrolled and how many recovery codes are left')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const { mfaStatus } = await import('../../team/mfa-service.js');
      const status = await withCliContext((context) => mfaStatus(context, name));
      if (options.json === true) return printJson(status);
      process.stdout.write(`${status.user}: TOTP ${status.totp}, ${status.recoveryCodesLeft} recovery code(s) left\n`);
      return undefined;
    });
}
