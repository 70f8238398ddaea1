/**
 * Every top-level command, one file each. A command file's top level imports only light
 * modules; services, drivers and SDKs are imported inside its actions.
 */
import type { Command } from 'commander';
import { registerEmulatorCommand as emulator } from '../emulator/emulator-command.js';
import { register as audit } from './commands/audit-command.js';
import { register as consumer } from './commands/consumer-command.js';
import { register as credential } from './commands/credential-command.js';
import { register as discover } from './commands/discover-command.js';
import { register as doctor } from './commands/doctor-command.js';
import { register as hook } from './commands/hook-command.js';
import { register as init } from './commands/init-command.js';
import { register as masterKey } from './commands/master-key-command.js';
import { register as proxy } from './commands/proxy-command.js';
import { register as redact } from './commands/redact-command.js';
import { register as rotate } from './commands/rotate-command.js';
import { register as rotations } from './commands/rotations-command.js';
import { register as scanCommand, setScanCommandWiring } from './commands/scan-command.js';
import { register as serve } from './commands/serve-command.js';
import { register as token } from './commands/token-command.js';

type OwnKeyFound = Parameters<NonNullable<Parameters<typeof setScanCommandWiring>[0]['rotate']>>[0];

async function rotateLeaked(event: OwnKeyFound): Promise<{ oldKeyDeadAt?: Date }> {
  const { rotateLeakedKey } = await import('./commands/rotate-command.js');
  return rotateLeakedKey({ fingerprint: event.fingerprint, foundAt: event.foundAt, where: event.finding.location.path ?? undefined });
}

function scan(program: Command): void {
  setScanCommandWiring({
    ownKeys: async () => (await import('./own-key-lookup.js')).loadOwnKeyLookup(),
    // --rotate: make every leaked key of ours dead now, whatever its policy says.
    rotate: rotateLeaked,
    // Without --rotate: only credentials whose policy says `onLeak: rotate`.
    respondByPolicy: async (event) => {
      const { withCliContext } = await import('./cli-context.js');
      const policy = await withCliContext(async ({ store }) => (await store.getCredential(event.ownership.credential))?.policy);
      return policy?.onLeak === 'rotate' ? { action: 'emergency-rotation', ...(await rotateLeaked(event)) } : undefined;
    },
  });
  scanCommand(program);
}

export const COMMANDS: Array<(program: Command) => void> = [
  init, credential, consumer, discover, rotate, rotations, audit, masterKey, doctor,
  scan, redact, hook, token, serve, proxy, emulator,
];
