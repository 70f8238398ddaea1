/**
 * `rekey hook install`: writes a git pre-commit hook that runs the installed rekey binary
 * on the staged changes (`rekey scan --staged`). The hook passes no key anywhere: git
 * hands the staged content to rekey through `git diff` / `git cat-file`, never arguments.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ConflictError, UsageError } from '../core/errors.js';
import { gitTopLevel, runGit } from './targets/git-process.js';

export const HOOK_MARKER = '# rekey pre-commit hook';

export interface HookInstallOptions {
  /** Any directory inside the repository. */
  directory: string;
  /** The command that runs rekey: `[process.execPath, '/abs/dist/src/cli/main.js']`. */
  command: readonly string[];
  /** Replace a pre-commit hook that rekey did not write. */
  force?: boolean | undefined;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function hookScript(command: readonly string[]): string {
  const invocation = [...command.map(shellQuote), 'scan', '--staged'].join(' ');
  return [
    '#!/bin/sh',
    HOOK_MARKER,
    '# Blocks a commit whose staged changes add an LLM API key. Bypass (not advised):',
    '# git commit --no-verify. Accept a known finding: rekey scan --write-baseline .rekey-baseline.json',
    `exec ${invocation}`,
    '',
  ].join('\n');
}

async function hooksDirectory(directory: string): Promise<string> {
  const top = await gitTopLevel(directory);
  if (top === undefined) throw new UsageError(`not a git repository: ${directory}`, { hint: 'run `rekey hook install` inside a repository' });
  const output = (await runGit(['rev-parse', '--git-path', 'hooks'], { cwd: top, keepHooksPath: true })).toString('utf8').trim();
  return isAbsolute(output) ? output : join(top, output);
}

export async function installPreCommitHook(options: HookInstallOptions): Promise<string> {
  if (options.command.length === 0 || options.command.some((word) => word.length === 0)) {
    throw new UsageError('the hook needs the command that runs rekey');
  }
  const directory = await hooksDirectory(options.directory);
  const path = join(directory, 'pre-commit');
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing !== undefined && !existing.includes(HOOK_MARKER) && options.force !== true) {
    throw new ConflictError(`${path} already exists and was not written by rekey`, {
      hint: 'add `rekey scan --staged` to it yourself, or pass --force to replace it',
    });
  }
  await mkdir(directory, { recursive: true });
  await writeFile(path, hookScript(options.command), { mode: 0o755 });
  await chmod(path, 0o755);
  return path;
}

export async function uninstallPreCommitHook(directory: string): Promise<string | undefined> {
  const path = join(await hooksDirectory(directory), 'pre-commit');
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing === undefined || !existing.includes(HOOK_MARKER)) return undefined;
  await rm(path);
  return path;
}
