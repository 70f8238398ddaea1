import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_EXAMPLES, commandPath } from './command-examples.js';
import { registerCommands } from './command-registry.js';

async function everyCommand(): Promise<Command[]> {
  const program = new Command('rekey');
  await registerCommands(program, 'all');
  const commands: Command[] = [];
  const visit = (command: Command) => command.commands.forEach((child) => (commands.push(child), visit(child)));
  visit(program);
  return commands;
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

/** The words of an example after `rekey` up to a pipe or a comment, e.g. `credential add x --scope p`. */
function rekeyWords(example: string): string[] {
  const start = /(?:^|[\s|])rekey /.exec(example);
  const command = start === null ? '' : (example.slice(start.index + start[0].length).split(/ [|#] /)[0] ?? '');
  return command.split(/\s+/).filter((word) => word !== '');
}

describe('command examples', () => {
  it('every registered command shows at least one example in its --help', async () => {
    const missing = (await everyCommand()).filter((command) => !/\nExamples:\n {2}\$ .*\brekey /.test(helpOf(command))).map(commandPath);
    expect(missing, 'add examples for these to src/cli/command-examples.ts').toEqual([]);
  });

  it('every top-level command has a hand-written example for itself or a command below it', async () => {
    const program = new Command('rekey');
    await registerCommands(program, 'all');
    const paths = Object.keys(COMMAND_EXAMPLES);
    const without = program.commands.map((command) => command.name()).filter((name) => !paths.some((path) => path === name || path.startsWith(`${name} `)));
    expect(without, 'add examples for these to src/cli/command-examples.ts').toEqual([]);
  });

  it('every example runs its own command (or one below it) with only options that command has', async () => {
    const program = new Command('rekey');
    await registerCommands(program, 'all');
    const wrong: string[] = [];
    for (const [path, examples] of Object.entries(COMMAND_EXAMPLES)) {
      for (const example of examples) {
        const words = rekeyWords(example);
        // The deepest command the example's words name.
        let command = program;
        for (const word of words) {
          const child = command.commands.find((candidate) => candidate.name() === word);
          if (child === undefined) break;
          command = child;
        }
        const ran = commandPath(command);
        if (ran !== path && !ran.startsWith(`${path} `)) wrong.push(`${path}: "${example}" runs "${ran}"`);
        const longs = new Set(command.options.flatMap((option) => [option.long, option.negate ? option.long : `--no-${option.long?.slice(2)}`]));
        for (const word of words.filter((candidate) => candidate.startsWith('--'))) {
          if (!longs.has(word.split('=')[0])) wrong.push(`${path}: "${example}" uses ${word}, which "${ran}" does not have`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
