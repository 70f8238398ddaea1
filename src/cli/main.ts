#!/usr/bin/env node
/**
 * The `rekey` binary: `rekey <noun> <verb>`. Commands are declared as data in
 * `command-registry.ts` and only the one named on the command line is imported, so
 * `rekey --version` loads no command at all, `rekey scan` never loads a database driver
 * and `rekey credential list` never loads the emulator. Usage errors print one line and a
 * hint (exit 2); other failures print their message (exit 1); findings and policy
 * violations exit 3. No stack traces unless REKEY_DEBUG=1, and never a key value.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor, ExitCode, isRekeyError, UsageError } from '../core/errors.js';
import { commandNamedBy, registerCommands } from './command-registry.js';
import { rememberInvocation } from './invocation.js';
import { colour } from './output.js';
import { VERSION } from './version.js';

async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('rekey')
    .description('Rotate and govern LLM provider API keys with zero downtime; find leaked keys.')
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(colour.red(text)) })
    .addHelpText('after', '\nTeam mode: --server URL (or REKEY_SERVER), after `rekey login --server URL`, runs the state commands through a rekey server, under its roles.');
  const named = commandNamedBy(argv);
  await registerCommands(program, named === undefined ? [] : [named]);
  return program;
}

/** `rekey credential --help` for the deepest command the arguments name. */
function hintFor(program: Command, argv: string[]): string {
  const words: string[] = [];
  let command = program;
  for (const word of argv.slice(2)) {
    const next = command.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
    if (next === undefined) break;
    words.push(word);
    command = next;
  }
  return `hint: run \`${['rekey', ...words, '--help'].join(' ')}\` for usage`;
}

/**
 * `--server URL` (or `--server=URL`) anywhere before `--` selects server mode for any
 * command: it is taken out of the arguments and put in REKEY_SERVER, which the state
 * commands read (`server-client.ts`). `--approval apr_…` likewise: the approved
 * two-person request a server-mode call runs under (sent as `x-rekey-approval`).
 */
export function takeServerOption(argv: readonly string[]): string[] {
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] ?? '';
    if (word === '--') {
      rest.push(...argv.slice(index));
      break;
    }
    if (word === '--server' && index >= 2) {
      const value = argv[index + 1];
      if (value === undefined || value.startsWith('-')) throw new UsageError('--server needs a URL, e.g. --server https://rekey.internal:8420');
      process.env.REKEY_SERVER = value;
      index++;
    } else if (word.startsWith('--server=') && index >= 2) {
      process.env.REKEY_SERVER = word.slice('--server='.length);
    } else if (word === '--approval' && index >= 2) {
      const value = argv[index + 1];
      if (value === undefined || !/^apr_[A-Za-z0-9_-]+$/.test(value)) throw new UsageError('--approval needs an approval request id, e.g. --approval apr_…');
      process.env.REKEY_APPROVAL = value;
      index++;
    } else {
      rest.push(word);
    }
  }
  return rest;
}

export async function main(rawArgv: string[] = process.argv): Promise<number> {
  let argv: string[];
  try {
    argv = takeServerOption(rawArgv);
    rememberInvocation(argv.slice(2));
  } catch (error) {
    printError(error);
    return exitCodeFor(error);
  }
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok;
      process.stderr.write(hintFor(program, argv) + '\n');
      return ExitCode.usage;
    }
    printError(error);
    return exitCodeFor(error);
  }
}

export function printError(error: unknown): void {
  if (isRekeyError(error)) {
    process.stderr.write(colour.red(`rekey: ${error.message}`) + '\n');
    if (error.hint !== undefined) process.stderr.write(`hint: ${error.hint}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(colour.red(`rekey: unexpected error: ${message}`) + '\n');
  }
  if (process.env.REKEY_DEBUG === '1' && error instanceof Error && error.stack !== undefined) {
    process.stderr.write(error.stack + '\n');
  }
}
