/**
 * The sink contract (DESIGN.md §4): one file per target kind, each a factory returning a
 * plain object. A sink holds two kinds of slot for one credential: the `main` name the
 * application reads (`OPENAI_API_KEY`) and versioned names (`OPENAI_API_KEY_V7`) so an
 * application can fall back to the other key during a rotation. Every implementation runs
 * `test/contracts/sink.ts`.
 *
 * Rules: sinks take and never return key values (read-back yields a fingerprint only);
 * a read that failed throws `SinkError`, it never answers `absent`; errors say whether a
 * retry can help and carry no value.
 */
import type { SecretValue } from '../core/secret-value.js';

export const SINK_KINDS = ['env-file', 'json-file', 'yaml-file', 'vault-kv', 'aws-secrets-manager', 'kubernetes-secret', 'github-actions', 'gitlab-ci', 'webhook', 'azure-key-vault', 'gcp-secret-manager', 'vercel-env', 'netlify-env', 'fly-secrets', 'n8n-credential', 'doppler', '1password-connect'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/**
 * Whether a sink's target is on this machine (a file) or reached over the network with a
 * credential. A dry run plans only local sinks: it sends no credential anywhere.
 */
export const SINK_REACH: Record<SinkKind, 'local' | 'remote'> = {
  'env-file': 'local',
  'json-file': 'local',
  'yaml-file': 'local',
  'vault-kv': 'remote',
  'aws-secrets-manager': 'remote',
  'kubernetes-secret': 'remote',
  'github-actions': 'remote',
  'gitlab-ci': 'remote',
  webhook: 'remote',
  'azure-key-vault': 'remote',
  'gcp-secret-manager': 'remote',
  'vercel-env': 'remote',
  'netlify-env': 'remote',
  'fly-secrets': 'remote',
  'n8n-credential': 'remote',
  doppler: 'remote',
  '1password-connect': 'remote',
};

export type SinkSlot = 'main' | { version: number };

export type SinkReadResult = { state: 'present'; fingerprint: string } | { state: 'absent' };

export type SinkChange = { slot: SinkSlot; value: SecretValue } | { slot: SinkSlot; remove: true };

export interface SinkPlannedChange {
  slot: SinkSlot;
  /** Where, e.g. `OPENAI_API_KEY in /srv/app/.env`. */
  target: string;
  action: 'create' | 'update' | 'remove' | 'unchanged';
  /** Redacted hints of the value before and after, never values. */
  before: string | null;
  after: string | null;
}

export interface SinkPlan {
  changes: SinkPlannedChange[];
  /** A human-readable, redacted diff (`- NAME=sk-…Ab3d` / `+ NAME=sk-…Zx9q`). */
  diff: string[];
}

export interface Sink {
  readonly kind: SinkKind;
  /** One line for plans, logs and audit details, e.g. `env file /srv/app/.env (OPENAI_API_KEY)`. */
  describe(): string;
  /** Durably store `value` in `slot` (replacing what was there). Idempotent. */
  write(slot: SinkSlot, value: SecretValue): Promise<void>;
  /**
   * What the slot holds, as an HMAC fingerprint under the install salt. Optional: a
   * write-only target (a GitHub Actions secret) omits it and is reported as unverifiable.
   */
  readFingerprint?(slot: SinkSlot): Promise<SinkReadResult>;
  /** Remove the slot; removing an absent slot succeeds. */
  remove(slot: SinkSlot): Promise<void>;
  /** Dry run: what `changes` would do, without doing it. */
  plan?(changes: SinkChange[]): Promise<SinkPlan>;
}

/** A sink that can read back and plan (most file and secret-store sinks). */
export type ReadableSink = Sink & Required<Pick<Sink, 'readFingerprint' | 'plan'>>;

export interface SinkContext {
  /** The install's fingerprint salt (see src/crypto/fingerprint.ts). */
  fingerprintSalt: Buffer;
  /** The consumer's name, for error messages. */
  consumerName: string;
  /**
   * Where sinks look up the credentials they need to reach their target (a Vault token,
   * a GitHub token), by the variable name the consumer config gives. Default `process.env`.
   * Consumer config names variables; it never holds a credential itself.
   */
  environment?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Validates `config` (throws ConfigError naming the consumer and field) and returns a sink. */
export type SinkFactory = (config: Record<string, unknown>, context: SinkContext) => Sink;

export function slotLabel(slot: SinkSlot): string {
  return slot === 'main' ? 'main' : `v${slot.version}`;
}
