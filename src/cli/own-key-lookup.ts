/**
 * The scanner's "it knows our keys" lookup for the CLI: fingerprints of every stored
 * version, read once and held in memory (the store is closed before scanning starts).
 * Without an initialised vault the scanner still runs, without ownership.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { createMemoryLookup, type OwnKeyLookup, type OwnKeyMatch } from '../scan/own-keys.js';
import { openCliContext, resolveHome } from './cli-context.js';

export async function loadOwnKeyLookup(): Promise<{ salt: Buffer; lookup: OwnKeyLookup } | undefined> {
  if (!existsSync(resolveHome())) return undefined;
  let context;
  try {
    context = await openCliContext();
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
  try {
    const entries: Array<[string, OwnKeyMatch]> = [];
    for (const credential of await context.store.listCredentials()) {
      for (const version of await context.store.listVersions(credential.id)) {
        entries.push([version.fingerprint, { credential: credential.name, stage: version.stage }]);
      }
    }
    return { salt: context.keys.fingerprintSalt, lookup: createMemoryLookup(entries) };
  } finally {
    await context.close();
  }
}
