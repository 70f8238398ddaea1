/**
 * Errors for the steps a person has to do: providers that cannot mint by API (Anthropic,
 * manual) and providers whose keys a person revokes (manual). The rotation engine checks
 * `capabilities` first; these errors are the backstop, with a stable `providerCode`.
 */
import { ProviderError } from '../core/errors.js';

/** `mint` was called without `suppliedValue` on a provider that cannot mint by API. */
export const NEEDS_HUMAN_VALUE = 'needs-human-value';
/** `revoke` was called on a provider whose keys a person revokes. */
export const NEEDS_HUMAN_REVOKE = 'needs-human-revoke';

export function needsHumanValue(provider: string): ProviderError {
  return new ProviderError(`${provider} cannot create keys by API: this rotation needs a new key value from a person`, {
    provider,
    providerCode: NEEDS_HUMAN_VALUE,
    isRetryable: false,
    hint: 'create the key in the provider console, then run `rekey rotate --value-from-stdin` or use the dashboard form',
  });
}

export function needsHumanRevoke(provider: string): ProviderError {
  return new ProviderError(`${provider}: this key must be revoked by a person in the provider console; rekey can then confirm it is dead`, {
    provider,
    providerCode: NEEDS_HUMAN_REVOKE,
    isRetryable: false,
  });
}

export function isNeedsHumanValue(error: unknown): boolean {
  return error instanceof ProviderError && error.providerCode === NEEDS_HUMAN_VALUE;
}
