import type { SecretValue } from '../core/secret-value.js';

/** One usable key of a credential. `version` is null when the source cannot tell (a bare variable). */
export interface SdkKey {
  version: number | null;
  stage: 'current' | 'previous';
  value: SecretValue;
}

/** Where a key source reads from. */
export type KeySourceOrigin =
  /** The rekey delivery endpoint (`rekey serve`), with a per-application read token. */
  | { url: string; token: string; instance?: string; checkInIntervalMilliseconds?: number; waitSeconds?: number }
  /** A dotenv file written by the env-file sink: `NAME` is current, `NAME_V<n>` are the versioned slots. */
  | { file: string; variable: string; pollIntervalMilliseconds?: number; watch?: boolean }
  /** Process environment: `NAME` and `NAME_V<n>`. Read once, and again on `refresh()`. */
  | { env: string; environment?: Record<string, string | undefined> };

/** Keys as a driver read them; `generation` orders lists from the endpoint (null elsewhere). */
export interface KeyList {
  keys: SdkKey[];
  generation: number | null;
}

/** A loader turns an origin into key lists and tells the source when they may have changed. */
export interface KeyDriver {
  load(): Promise<KeyList>;
  /** Starts watching; `emit` gets a fresh list whenever it changes. Returns a stop function. */
  watch?(emit: (list: KeyList) => void, onError: (error: Error) => void): () => void;
  /** Reports use of versions (endpoint only). */
  checkIn?(versions: Array<{ version: number; requests: number; lastUsedAt?: number | undefined }>): Promise<void>;
}

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** An error from the SDK. Its message never contains a key or token. */
export class KeySourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySourceError';
  }
}
