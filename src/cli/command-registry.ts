/**
 * Every top-level command, one file each. A command file's top level imports only light
 * modules; services, drivers and SDKs are imported inside its actions.
 */
import type { Command } from 'commander';
import { register as audit } from './commands/audit-command.js';
import { register as credential } from './commands/credential-command.js';
import { register as doctor } from './commands/doctor-command.js';
import { register as init } from './commands/init-command.js';
import { register as masterKey } from './commands/master-key-command.js';
import { registerEmulatorCommand as emulator } from '../emulator/emulator-command.js';
import { register as hook } from './commands/hook-command.js';
import { register as redact } from './commands/redact-command.js';
import { register as scanCommand, setScanCommandWiring } from './commands/scan-command.js';

function scan(program: Command): void {
  setScanCommandWiring({
    ownKeys: async () => (await import('./own-key-lookup.js')).loadOwnKeyLookup(),
  });
  scanCommand(program);
}

export const COMMANDS: Array<(program: Command) => void> = [init, credential, audit, masterKey, doctor, scan, redact, hook, emulator];
