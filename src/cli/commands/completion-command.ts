/**
 * `rekey completion bash|zsh|fish`: print a completion script generated from every
 * registered command (loaded in full here, and only here), so it stays true as commands change.
 */
import { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { CommandEntry } from '../command-registry.js';
import { completionScript, SHELLS, type Shell } from '../shell-completion.js';
import { VERSION } from '../version.js';

const INSTALL_HELP = `
Install (then open a new shell):
  bash  rekey completion bash > ~/.local/share/bash-completion/completions/rekey
        (or add  eval "$(rekey completion bash)"  to ~/.bashrc)
  zsh   rekey completion zsh > "\${fpath[1]}/_rekey"   (a directory on $fpath; compinit must run)
  fish  rekey completion fish > ~/.config/fish/completions/rekey.fish
`;

/** The command tree the binary has, every command loaded in full. */
async function fullProgram(entries: readonly CommandEntry[]): Promise<Command> {
  const program = new Command('rekey').version(VERSION, '-V, --version');
  for (const entry of entries) (await entry.load())(program);
  return program;
}

export function registerWith(entries: readonly CommandEntry[]) {
  return (program: Command): void => {
    program
      .command('completion <shell>')
      .description('Print a shell completion script (bash, zsh or fish) for every command and option')
      .addHelpText('after', INSTALL_HELP)
      .action(async (shell: string) => {
        if (!(SHELLS as readonly string[]).includes(shell)) {
          throw new UsageError(`unknown shell "${shell}": choose ${SHELLS.join(', ')}`, { hint: 'e.g. rekey completion bash' });
        }
        process.stdout.write(completionScript(shell as Shell, await fullProgram(entries)));
      });
  };
}
