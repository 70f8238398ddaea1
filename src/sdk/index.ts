/**
 * `rekey-cli/sdk` — the runtime client for applications (DESIGN.md §4 "Pull"). It imports no
 * server, CLI, database driver or cloud SDK (a lint rule and test/sdk/sdk-import-graph.test.ts
 * guard this).
 */
export { createKeySource, type KeySource, type KeySourceOptions } from './key-source.js';
export { rotatingFetch, rotationProofAnthropic, rotationProofOpenAI, anthropicInjector } from './client-wrappers.js';
export { bearerInjector } from './key-source.js';
export type { KeyInjector } from './rotating-fetch.js';
export {
  EndpointUnreachableError,
  KeySourceConfigError,
  KeySourceError,
  keySourceErrorIn,
  NoKeyError,
  TokenNotAllowedError,
  TokenRefusedError,
  type FetchFunction,
  type KeySourceErrorCode,
  type KeySourceOrigin,
  type SdkKey,
} from './sdk-types.js';
export { SecretValue } from '../core/secret-value.js';
