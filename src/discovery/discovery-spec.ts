/**
 * Where-used discovery (`rekey discover`): find where a credential's current value lives,
 * by fingerprint, and propose consumer entries for it. Each place to look is a source
 * (files, Vault, AWS, Kubernetes, GitHub, GitLab) with one method. A source compares
 * candidates through `DiscoveryTarget.matches`, which fingerprints them under the install
 * salt: sources never see the key itself and findings never carry a value.
 */
import { fingerprint, fingerprintsEqual } from '../crypto/fingerprint.js';
import type { SinkKind } from '../sinks/sink-spec.js';

export interface DiscoveryTarget {
  /** True when `candidate` is the credential's value (same fingerprint). */
  matches(candidate: string): boolean;
  /** The value's length: candidates of another length are skipped without hashing. */
  length: number;
}

export function createDiscoveryTarget(options: { fingerprintSalt: Buffer; fingerprint: string; length: number }): DiscoveryTarget {
  return {
    length: options.length,
    matches: (candidate) => candidate.length === options.length && fingerprintsEqual(fingerprint(options.fingerprintSalt, candidate), options.fingerprint),
  };
}

export interface ConsumerProposal {
  /** A suggested consumer name (lower case, digits, `.`, `_`, `-`). */
  name: string;
  kind: SinkKind;
  config: Record<string, unknown>;
}

export interface DiscoveryFinding {
  source: string;
  /** `match`: the value is there. `unverifiable`: a write-only store holds a secret of a likely name. */
  status: 'match' | 'unverifiable';
  /** Where, for people: `/srv/app/.env:3 OPENAI_API_KEY`, `vault secret/apps/x (field K)`. */
  location: string;
  proposal?: ConsumerProposal | undefined;
  /** Extra facts: "committed to git", "JSON field of a secret: no sink writes that". */
  notes: string[];
}

export interface DiscoverySource {
  readonly name: string;
  discover(target: DiscoveryTarget): Promise<DiscoveryFinding[]>;
}

/** `apps/ticketing/prod` + `vault` → `vault-apps-ticketing-prod`, as a valid consumer name. */
export function proposalName(...parts: string[]): string {
  const name = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  return (name === '' ? 'consumer' : name).slice(0, 64).replace(/-+$/, '');
}

/** Names that probably hold an LLM key, for write-only stores that cannot be checked. */
export const LIKELY_KEY_NAME = /OPENAI|ANTHROPIC|CLAUDE|OPENROUTER|AZURE_OPENAI|LLM|GPT|API_KEY/i;
