#!/usr/bin/env node
import { ExitCode } from '../core/errors.js';
import { main, printError } from './main.js';

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printError(error);
    process.exitCode = ExitCode.failure;
  },
);
