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
  | {
      url: string;
      token: string;
      instance?: string;
      checkInIntervalMilliseconds?: number;
      waitSeconds?: number;
      /** Allows `http://` to a host that is not loopback (refused by default: the token and keys would travel in clear). */
      allowInsecureHttp?: boolean;
    }
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

/** What went wrong, stable for code that branches on it. */
export type KeySourceErrorCode = 'config' | 'endpoint-unreachable' | 'token-refused' | 'token-not-allowed' | 'no-key' | 'other';

/** An error from the SDK. Its message never contains a key or token, and always says why. */
export class KeySourceError extends Error {
  readonly code: KeySourceErrorCode;
  constructor(message: string, options?: { cause?: unknown; code?: KeySourceErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? 'other';
  }
}

/** `createKeySource` was given options that cannot work (thrown at creation, before any request). */
export class KeySourceConfigError extends KeySourceError {
  constructor(message: string) {
    super(message, { code: 'config' });
  }
}

/** The rekey endpoint (`rekey serve`) could not be reached: refused, not resolving, timed out. */
export class EndpointUnreachableError extends KeySourceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'endpoint-unreachable', cause });
  }
}

/** The endpoint refused the read token (HTTP 401): wrong, revoked or expired. */
export class TokenRefusedError extends KeySourceError {
  constructor(message: string) {
    super(message, { code: 'token-refused' });
  }
}

/** The read token is valid but may not read this credential (HTTP 403). */
export class TokenNotAllowedError extends KeySourceError {
  constructor(message: string) {
    super(message, { code: 'token-not-allowed' });
  }
}

/** The credential does not exist, or has no key yet (HTTP 404, an empty list, an unset variable). */
export class NoKeyError extends KeySourceError {
  constructor(message: string) {
    super(message, { code: 'no-key' });
  }
}

/** The first `KeySourceError` in an error's cause chain (an official client wraps what its fetch threw). */
export function keySourceErrorIn(error: unknown): KeySourceError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    if (current instanceof KeySourceError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
