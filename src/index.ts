/**
 * rekey as a library: the pieces an application or a platform tool may call directly.
 * Applications that read keys at run time use `rekey-cli/sdk` instead (no server, CLI or
 * database code). Everything else is the `rekey` binary.
 */
export { SecretValue, redactHint } from './core/secret-value.js';
export {
  RekeyError,
  UsageError,
  ConfigError,
  NotFoundError,
  ConflictError,
  IntegrityError,
  CryptoError,
  StoreError,
  ProviderError,
  SinkError,
  PolicyError,
  isRekeyError,
  exitCodeFor,
} from './core/errors.js';
export type { Credential, VersionRecord, Stage, ProviderKind, AuditEvent } from './core/types.js';
/** Redaction for application loggers: replaces every LLM API key the scanner knows with a hint. */
export { redact, createStreamRedactor } from './scan/redact.js';
export type { ProviderV1 } from './providers/provider-spec.js';
export type { Sink } from './sinks/sink-spec.js';
/** For webhook receivers: the signature check, and a verifier that also refuses replayed deliveries. */
export { createWebhookVerifier, verifyWebhookSignature } from './sinks/webhook-signature.js';
/** For receivers of the alert webhook: the Standard Webhooks check (signature, timestamp window) and a replay guard. */
export { createReplayGuard, verifyStandardWebhook } from './alerts/channels/standard-webhooks.js';
export type { Store } from './store/store.js';
