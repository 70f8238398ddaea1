/**
 * "It knows our keys": a finding is fingerprinted exactly as the vault fingerprints a
 * version (HMAC-SHA-256 under the per-install salt, `src/crypto/fingerprint.ts`) and looked
 * up; a hit names the credential and the stage of the leaked version. Only fingerprints
 * cross the lookup boundary, never values.
 */
import { fingerprint } from '../crypto/fingerprint.js';
import type { Finding } from './finding.js';

export interface OwnKeyMatch {
  credential: string;
  stage: string;
}

/** Store-backed in production (provided by the CLI), in-memory in tests. */
export type OwnKeyLookup = (fingerprint: string) => Promise<OwnKeyMatch | undefined>;

export interface OwnKeyFinding {
  finding: Finding;
  ownership: OwnKeyMatch;
  fingerprint: string;
}

/** The vault's salt (fingerprinted here with `fingerprint`), or the vault's own `fingerprintOf`. */
export type Fingerprinter = Buffer | ((value: string) => string);

/**
 * Sets `ownership` on every finding that is a version of one of our credentials and
 * returns those. Each distinct value is looked up once.
 */
export async function matchFindings(findings: readonly Finding[], lookup: OwnKeyLookup, fingerprinter: Fingerprinter): Promise<OwnKeyFinding[]> {
  const fingerprintOf = typeof fingerprinter === 'function' ? fingerprinter : (value: string) => fingerprint(fingerprinter, value);
  const cache = new Map<string, Promise<OwnKeyMatch | undefined>>();
  const owned: OwnKeyFinding[] = [];
  for (const finding of findings) {
    const print = fingerprintOf(finding.secret.reveal());
    let pending = cache.get(print);
    if (pending === undefined) {
      pending = lookup(print);
      cache.set(print, pending);
    }
    const match = await pending;
    if (match === undefined) continue;
    finding.ownership = { credential: match.credential, stage: match.stage };
    owned.push({ finding, ownership: finding.ownership, fingerprint: print });
  }
  return owned;
}

/** An in-memory lookup over known fingerprints (tests, and callers holding a snapshot). */
export function createMemoryLookup(entries: Iterable<readonly [string, OwnKeyMatch]>): OwnKeyLookup {
  const table = new Map(entries);
  return async (print) => table.get(print);
}
