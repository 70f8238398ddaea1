import { SecretValue, redactHint } from '../core/secret-value.js';
import type { Stage } from '../core/types.js';
import type { Detector } from './detectors/detector-registry.js';
import type { Encoding } from './encoded-views.js';

export type FindingSource = 'file' | 'git' | 'stdin' | 'staged';

export interface FindingLocation {
  source: FindingSource;
  /** Path relative to the scan root (or the repository), `null` for stdin. */
  path: string | null;
  /** 1-based line and column (UTF-16 code units, as SARIF counts them by default). */
  line: number;
  column: number;
  /** 0-based byte offset of the key in the file or blob as stored. */
  byteOffset: number;
  byteLength: number;
  /**
   * Set when the key was written encoded (`base64`, `url`, `escape`, `continuation`): line,
   * column and bytes are then those of the encoded text; the value is the decoded key.
   */
  encoding?: Encoding | undefined;
  /** Git history findings: the commit that introduced the blob, its author and date. */
  commit?: string | undefined;
  author?: string | undefined;
  committedAt?: string | undefined;
}

export type Verification = 'live' | 'dead' | 'unknown';

/** A found key. The value exists only as `secret` (a SecretValue) and never prints. */
export interface Finding {
  detectorId: string;
  provider: string;
  description: string;
  location: FindingLocation;
  /** `sk-proj-…Ab3d`. */
  hint: string;
  secret: SecretValue;
  /** Azure OpenAI: the paired resource host. */
  host?: string | undefined;
  /** Set by `matchFindings`: the finding is a version of one of our credentials. */
  ownership?: { credential: string; stage: string } | undefined;
  /** Set by `--verify`. */
  verification?: Verification | undefined;
  /** With `unknown`: why it could not be told (no probe, HTTP status, timeout, unreachable host). Value-free. */
  verificationReason?: string | undefined;
}

export interface OwnershipMatch {
  credential: string;
  stage: Stage | string;
}

export function createFinding(
  detector: Detector,
  value: string,
  location: FindingLocation,
  host: string | undefined,
): Finding {
  return {
    detectorId: detector.id,
    provider: detector.provider,
    description: detector.description,
    location,
    hint: redactHint(value),
    secret: new SecretValue(value),
    host,
  };
}

/** Where a finding is, for one-line display: `src/app.ts:12:7` or `a1b2c3d:config.yml:3:1`. */
export function findingPlace(finding: Finding): string {
  const { location } = finding;
  const path = location.path ?? '(stdin)';
  const place = `${path}:${location.line}:${location.column}`;
  return location.commit === undefined ? place : `${location.commit.slice(0, 12)}:${place}`;
}
