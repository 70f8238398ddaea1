/** `rekey redact`: standard input to standard output with every API key replaced by its hint. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('redact')
    .description('copy standard input to standard output, replacing API keys with [REDACTED <hint>] (line-buffered)')
    .action(async () => {
      const { redactStream } = await import('../../scan/redact.js');
      await redactStream(process.stdin, process.stdout);
    });
}
