/**
 * The few error types rekey throws. Every error has a stable `code`, says whether
 * retrying could help, and never carries a key value, a request or response body, or a
 * bound SQL parameter: those can hold a secret. Messages say what was wrong and where.
 */

export type ErrorCode =
  | 'usage'
  | 'config'
  | 'not-found'
  | 'conflict'
  | 'integrity'
  | 'crypto'
  | 'store'
  | 'provider'
  | 'sink'
  | 'policy'
  | 'forbidden'
  | 'internal';

export interface RekeyErrorOptions {
  /** A short hint printed under a usage or config error. */
  hint?: string | undefined;
  isRetryable?: boolean | undefined;
  cause?: unknown;
}

export class RekeyError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly isRetryable: boolean;

  constructor(code: ErrorCode, message: string, options: RekeyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.isRetryable = options.isRetryable ?? false;
  }
}

/** Bad command-line input: printed as one line plus a hint, exit code 2. */
export class UsageError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('usage', message, options);
  }
}

/** A config file, environment variable or setting is wrong or missing. */
export class ConfigError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('config', message, options);
  }
}

export class NotFoundError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('not-found', message, options);
  }
}

/** Someone else changed the same thing first (a promote race, a held lock, a CAS miss). */
export class ConflictError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('conflict', message, options);
  }
}

/** Stored data failed a check: a ciphertext that does not open, a broken audit chain. */
export class IntegrityError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('integrity', message, options);
  }
}

export class CryptoError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('crypto', message, options);
  }
}

export class StoreError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('store', message, options);
  }
}

export interface ProviderErrorOptions extends RekeyErrorOptions {
  provider: string;
  /** The HTTP status, when the provider answered. */
  status?: number | undefined;
  /** The provider's error type or code (e.g. `invalid_api_key`), never its message body. */
  providerCode?: string | undefined;
  /** Seconds the provider asked us to wait (retry-after). */
  retryAfterSeconds?: number | undefined;
  /** What failed, comparable between two errors: `status:404:not_found`, `network:ENOTFOUND`. */
  failure?: string | undefined;
  /** True when the provider cannot have acted on the request (refused it, or never got it). */
  definitelyNotActedOn?: boolean | undefined;
}

export class ProviderError extends RekeyError {
  readonly provider: string;
  readonly status: number | undefined;
  readonly providerCode: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly failure: string | undefined;
  readonly definitelyNotActedOn: boolean;

  constructor(message: string, options: ProviderErrorOptions) {
    super('provider', message, options);
    this.provider = options.provider;
    this.status = options.status;
    this.providerCode = options.providerCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.failure = options.failure;
    this.definitelyNotActedOn = options.definitelyNotActedOn ?? false;
  }
}

export interface SinkErrorOptions extends RekeyErrorOptions {
  sink: string;
}

export class SinkError extends RekeyError {
  readonly sink: string;

  constructor(message: string, options: SinkErrorOptions) {
    super('sink', message, options);
    this.sink = options.sink;
  }
}

/** A team-mode server refused the action: the person lacks the capability on the target (HTTP 403); exit code 1. */
export class ForbiddenError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('forbidden', message, options);
  }
}

/** A policy was violated; exit code 3. */
export class PolicyError extends RekeyError {
  constructor(message: string, options: RekeyErrorOptions = {}) {
    super('policy', message, options);
  }
}

export function isRekeyError(error: unknown): error is RekeyError {
  return error instanceof RekeyError;
}

/** Exit codes as DESIGN.md §9 says: 0 ok, 1 failure, 2 usage error, 3 policy violation / findings. */
export const ExitCode = { ok: 0, failure: 1, usage: 2, policy: 3 } as const;

export function exitCodeFor(error: unknown): number {
  if (!isRekeyError(error)) return ExitCode.failure;
  if (error.code === 'usage') return ExitCode.usage;
  if (error.code === 'policy') return ExitCode.policy;
  return ExitCode.failure;
}

/** A value-free reason for logs, audit details and hold messages: rekey's own errors are value-free by contract; anything else is named only. */
export function reasonOf(error: unknown): string {
  if (isRekeyError(error)) return error.message;
  if (error instanceof Error) return `unexpected ${error.name}`;
  return 'unexpected failure';
}
