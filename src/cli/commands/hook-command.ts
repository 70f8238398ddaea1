/** `rekey hook install|uninstall`: the git pre-commit hook that scans staged changes. */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';

/** The command that runs this very rekey: node plus the absolute path of the entry script. */
function currentRekeyCommand(): string[] {
  const entry = process.argv[1];
  if (entry === undefined || entry.length === 0) throw new UsageError('cannot tell which rekey binary is running');
  return [process.execPath, realpathSync(resolve(entry))];
}

export function register(program: Command): void {
  const hook = program.command('hook').description('Install the git pre-commit hook that blocks commits adding an API key');

  hook
    .command('install')
    .description('write .git/hooks/pre-commit running `rekey scan --staged` with this rekey binary')
    .option('-C, --dir <directory>', 'the repository (default: current directory)')
    .option('--force', 'replace a pre-commit hook that rekey did not write')
    .action(async (options: { dir?: string; force?: boolean }) => {
      const { installPreCommitHook } = await import('../../scan/pre-commit-hook.js');
      const path = await installPreCommitHook({ directory: options.dir ?? process.cwd(), command: currentRekeyCommand(), force: options.force });
      process.stdout.write(`installed ${path}\n`);
    });

  hook
    .command('uninstall')
    .description('remove the pre-commit hook if rekey wrote it')
    .option('-C, --dir <directory>', 'the repository (default: current directory)')
    .action(async (options: { dir?: string }) => {
      const { uninstallPreCommitHook } = await import('../../scan/pre-commit-hook.js');
      const removed = await uninstallPreCommitHook(options.dir ?? process.cwd());
      process.stdout.write(removed === undefined ? 'no rekey pre-commit hook installed\n' : `removed ${removed}\n`);
    });
}
