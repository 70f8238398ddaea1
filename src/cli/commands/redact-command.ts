/** `rekey redact`: standard input to standard output with every API key replaced by its hint. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('redact')
    .description('copy standard input to standard output, replacing API keys with [REDACTED <hint>] (line-buffered)')
    .action(async () => {
      // `rekey redact | head`: the reader went away; stop quietly instead of crashing.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(0);
        throw error;
      });
      const { redactStream } = await import('../../scan/redact.js');
      await redactStream(process.stdin, process.stdout);
    });
}
