import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandNamedBy, registerCommands } from './command-registry.js';

describe('command registry (commands as data)', () => {
  it.each(COMMANDS.map((entry) => [entry.name, entry] as const))('%s: its module registers exactly that command with the listed summary', async (_name, entry) => {
    const program = new Command('rekey');
    (await entry.load())(program);
    expect(program.commands.map((command) => command.name())).toEqual([entry.name]);
    expect(program.commands[0]?.description()).toBe(entry.summary);
  });

  it('names are unique', () => {
    expect(new Set(COMMANDS.map((entry) => entry.name)).size).toBe(COMMANDS.length);
  });

  it('finds the command the arguments name, also after `help`', () => {
    expect(commandNamedBy(['node', 'rekey', 'scan', '--staged'])?.name).toBe('scan');
    expect(commandNamedBy(['node', 'rekey', 'help', 'credential'])?.name).toBe('credential');
    expect(commandNamedBy(['node', 'rekey', '--help'])).toBeUndefined();
    expect(commandNamedBy(['node', 'rekey', 'scna'])).toBeUndefined();
  });

  it('loads only the named command in full; the rest are listed by name and summary', async () => {
    const program = new Command('rekey');
    const scan = COMMANDS.find((entry) => entry.name === 'scan');
    await registerCommands(program, scan === undefined ? [] : [scan]);
    expect(program.commands.map((command) => command.name())).toEqual(COMMANDS.map((entry) => entry.name));
    const registered = program.commands.find((command) => command.name() === 'scan');
    expect(registered?.options.some((option) => option.long === '--staged')).toBe(true);
    const placeholder = program.commands.find((command) => command.name() === 'credential');
    expect(placeholder?.commands).toEqual([]);
  });
});
