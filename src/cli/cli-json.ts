/** JSON shapes the CLI prints for domain objects: never a ciphertext, never a value. */
import type { Consumer, Credential, VersionRecord } from '../core/types.js';
import { consumerWire, credentialWire, versionWire, type ConsumerWire, type CredentialWire, type VersionWire } from '../server/api/api-schemas.js';

/**
 * The JSON of a credential, version and consumer is the management API's wire shape
 * (`server/api/api-schemas.ts`): one function each, so `--json` prints the same in local
 * and server mode by construction.
 */
export const credentialJson = (credential: Credential): CredentialWire => credentialWire(credential);
export const versionJson = (version: VersionRecord): VersionWire => versionWire(version);
export const consumerJson = (consumer: Consumer): ConsumerWire => consumerWire(consumer);

export function ageDays(since: Date, now: Date): number {
  return Math.floor((now.getTime() - since.getTime()) / 86_400_000);
}
