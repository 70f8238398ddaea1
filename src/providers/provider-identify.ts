/**
 * Finds the provider-side id of a key that was added by hand (no `providerKeyId`), so a
 * rotation can still revoke it: list the credential's keys and match the value against
 * each key's redacted form. Only a single, unambiguous match counts; anything else is
 * `undefined`, and the caller keeps treating the key as unidentified.
 */
import type { SecretValue } from '../core/secret-value.js';
import { matchesRedacted } from './provider-liveness.js';
import type { ProviderCredentialRef, ProviderKeyInfo, ProviderV1 } from './provider-spec.js';

export async function identifyProviderKey(
  provider: Pick<ProviderV1, 'listKeys'>,
  request: { credential: ProviderCredentialRef; value: SecretValue; signal?: AbortSignal },
): Promise<ProviderKeyInfo | undefined> {
  if (provider.listKeys === undefined) return undefined;
  const listRequest = request.signal === undefined ? { credential: request.credential } : { credential: request.credential, signal: request.signal };
  const keys = await provider.listKeys(listRequest);
  const value = request.value.reveal();
  const matches = keys.filter((key) => key.redactedValue !== null && matchesRedacted(value, key.redactedValue) === true);
  return matches.length === 1 ? matches[0] : undefined;
}
