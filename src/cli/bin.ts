#!/usr/bin/env node
/**
 * Entry of the `rekey` binary. `rekey --version` answers before anything else is imported
 * (not even the argument parser); everything else goes through `main`.
 */
import { VERSION } from './version.js';

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
