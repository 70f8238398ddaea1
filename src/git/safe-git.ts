/**
 * Every git call rekey makes on a repository it scans or searches (scanner, discovery,
 * hook install) goes through here. A scanned repository is outside input: its
 * `.git/config` can name programs that git would run (`core.fsmonitor`, hooks, external
 * diff and textconv drivers, clean/smudge filters, `core.sshCommand`), and those programs
 * would inherit rekey's environment, master key and admin keys included. So git runs
 *
 *  - with a minimal environment: PATH, HOME and the few GIT_* variables a hook is handed
 *    (index file, git dir, work tree), nothing else;
 *  - with the system config ignored and command-line overrides (which win over the
 *    repository's config) that switch every repository-controlled executable off, the
 *    filter and diff drivers by name after reading which ones the config defines;
 *  - with `safe.directory` reset, so no `safe.directory=*` from elsewhere widens git's
 *    refusal of a repository owned by another user;
 *  - with no transport allowed, no prompt and no pager.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** Environment variables git may keep: none of them can hold a secret of rekey's. */
const KEPT_VARIABLES = ['PATH', 'HOME', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES'];

const FIXED_OVERRIDES: readonly string[] = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'core.sshCommand=false',
  'core.askPass=false',
  'core.pager=cat',
  'core.editor=false',
  'core.gitProxy=false',
  'credential.helper=',
  'gpg.program=false',
  'protocol.allow=never',
  'safe.directory=',
  'uploadpack.packObjectsHook=',
];

/** Subcommands that can produce a diff and so would run an external diff or textconv. */
const DIFFING_SUBCOMMANDS = new Set(['diff', 'log', 'show', 'whatchanged']);

/** Per-driver keys that name a program. */
const DRIVER_PROGRAM_KEY = /^(filter\.(.+)\.(clean|smudge|process)|diff\.(.+)\.(command|textconv)|merge\.(.+)\.driver)$/i;

export interface SafeGitOptions {
  cwd: string;
  /** The environment to narrow (tests pass one; default process.env). */
  environment?: NodeJS.ProcessEnv | undefined;
  /**
   * `rekey hook install` asks where hooks live, so it keeps the configured
   * `core.hooksPath`; the path is only read, nothing there is run.
   */
  keepHooksPath?: boolean | undefined;
}

/** The environment git is started with. */
export function safeGitEnvironment(environment: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const name of KEPT_VARIABLES) {
    const value = environment[name];
    if (value !== undefined) kept[name] = value;
  }
  return {
    ...kept,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    GIT_OPTIONAL_LOCKS: '0',
  };
}

function fixedArguments(keepHooksPath: boolean): string[] {
  return FIXED_OVERRIDES.filter((entry) => !(keepHooksPath && entry.startsWith('core.hooksPath='))).flatMap((entry) => ['-c', entry]);
}

/**
 * The `-c key=` overrides that blank every program-naming driver key the repository's
 * config defines. Reading the config runs nothing.
 */
async function driverOverrides(cwd: string, environment: NodeJS.ProcessEnv): Promise<string[]> {
  const output = await collect(spawn('git', [...fixedArguments(false), 'config', '--null', '--name-only', '--list'], {
    cwd, env: environment, stdio: ['ignore', 'pipe', 'ignore'],
  })).catch(() => Buffer.alloc(0));
  const overrides = new Set<string>();
  for (const name of output.toString('utf8').split('\0')) {
    const key = name.trim();
    if (DRIVER_PROGRAM_KEY.test(key)) overrides.add(key);
  }
  return [...overrides].flatMap((key) => ['-c', `${key}=`]);
}

function collect(child: ChildProcessByStdio<null, Readable, null>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`git config exited ${code ?? 'by signal'}`))));
  });
}

/** The full argument list for `git <args>`: overrides first, diff safety after the subcommand. */
export async function safeGitArguments(args: readonly string[], options: SafeGitOptions): Promise<string[]> {
  const environment = safeGitEnvironment(options.environment);
  const drivers = await driverOverrides(options.cwd, environment);
  const subcommandIndex = args.findIndex((word) => !word.startsWith('-') && !isOptionValue(args, word));
  const rest = [...args];
  const subcommand = rest[subcommandIndex];
  if (subcommand !== undefined && DIFFING_SUBCOMMANDS.has(subcommand)) {
    rest.splice(subcommandIndex + 1, 0, '--no-ext-diff', '--no-textconv');
  }
  return [...fixedArguments(options.keepHooksPath === true), ...drivers, ...rest];
}

/** `-c x` / `-C dir`: the word after those is a value, not the subcommand. */
function isOptionValue(args: readonly string[], word: string): boolean {
  const index = args.indexOf(word);
  const before = args[index - 1];
  return before === '-c' || before === '-C';
}

export type SafeGitChild = ChildProcessByStdio<Writable, Readable, Readable | null>;

/** Starts git safely; stdin and stdout are pipes, stderr a pipe or ignored. */
export async function spawnSafeGit(
  args: readonly string[],
  options: SafeGitOptions & { stderr?: 'pipe' | 'ignore' | undefined },
): Promise<SafeGitChild> {
  const fullArguments = await safeGitArguments(args, options);
  return spawn('git', fullArguments, {
    cwd: options.cwd,
    env: safeGitEnvironment(options.environment),
    stdio: ['pipe', 'pipe', options.stderr ?? 'pipe'],
  }) as SafeGitChild;
}
