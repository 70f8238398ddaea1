#!/usr/bin/env node
/**
 * Entry of the `rekey` binary. `rekey --version` answers before anything else is imported
 * (not even the argument parser); everything else goes through `main`.
 */
import { VERSION } from './version.js';

/**
 * A reader that stops early (`rekey audit list | head -1`) closes the pipe. Its EPIPE is not
 * a failure of the command: the rest of the output goes nowhere, quietly, and the command
 * still finishes its work (a rotation is never cut short by a closed pager).
 */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stream.write = (() => true) as typeof stream.write;
  });
}
ignoreClosedPipe(process.stdout);
ignoreClosedPipe(process.stderr);

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main, printError } = await import('./main.js');
  try {
    process.exitCode = await main();
  } catch (error) {
    printError(error);
    process.exitCode = 1;
  }
}
