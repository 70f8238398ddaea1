import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from './command-registry.js';
import { completionScript } from './shell-completion.js';

let program: Command;

beforeAll(async () => {
  program = new Command('rekey').version('0.0.0', '-V, --version');
  await registerCommands(program, 'all');
});

/** What the generated bash function offers after the typed words (the last one is being completed). */
function bashOffers(words: string[]): string[] {
  const script = `${completionScript('bash', program)}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _rekey; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8', cwd: '/' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split('\n').filter((line) => line !== '');
}

describe('shell completion (generated from the command registry)', () => {
  it('bash: commands, subcommands and options of the command typed so far', () => {
    expect(bashOffers(['rekey', 'cred'])).toEqual(['credential']);
    expect(bashOffers(['rekey', 'credential', ''])).toEqual(expect.arrayContaining(['add', 'edit', 'list', 'show', '--help']));
    expect(bashOffers(['rekey', 'credential', 'add', 'openai/app/dev', '--provider', 'openai', '--sc'])).toEqual(['--scope']);
    expect(bashOffers(['rekey', 'rotations', 'show', '3f2a', '--'])).toEqual(['--json', '--help']);
  });

  it('bash: every command of the registry is offered at the top', () => {
    expect(bashOffers(['rekey', ''])).toEqual(expect.arrayContaining([...program.commands.map((command) => command.name()), '--version']));
  });

  it('zsh and fish scripts name every command with its description, quotes escaped', () => {
    for (const shell of ['zsh', 'fish'] as const) {
      const script = completionScript(shell, program);
      for (const command of program.commands) expect(script).toContain(command.name());
      expect(script).toContain(shell === 'zsh' ? "'credential:Manage credentials" : "'credential' 'Manage credentials");
    }
    // A description with an apostrophe cannot end the quote early.
    expect(completionScript('zsh', program)).toContain("compliance report'\\''s stated");
    expect(completionScript('fish', program)).toContain("compliance report\\'s stated");
  });

  it.skipIf(spawnSync('zsh', ['--version']).status !== 0)('zsh parses its script (skipped: zsh is not installed here)', () => {
    const run = spawnSync('zsh', ['-n', '-c', completionScript('zsh', program)], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });

  it.skipIf(spawnSync('fish', ['--version']).status !== 0)('fish parses its script (skipped: fish is not installed here)', () => {
    const run = spawnSync('fish', ['--no-execute', '-c', completionScript('fish', program)], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });
});
