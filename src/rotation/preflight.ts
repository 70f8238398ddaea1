/**
 * The preflight: before a rotation changes anything, ask the provider what the rotation
 * will need — the admin credential works and may list and manage keys, the base URL
 * answers, the credential's project (or workspace) exists, and the stored key is one of
 * that project's keys and still works. `rotate --dry-run`, `doctor --provider` and
 * `credential add` (when the admin key is set) run it. Read-only: nothing is created.
 */
import { ProviderError, reasonOf } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import { matchesRedacted } from '../providers/provider-liveness.js';
import type { ProviderCredentialRef, ProviderKeyInfo, ProviderV1 } from '../providers/provider-spec.js';

export interface PreflightCheck {
  /** `admin access`, `project`, `stored key`… */
  check: string;
  /** `ok`, `failed`, or `skipped` when it cannot be checked here. */
  result: 'ok' | 'failed' | 'skipped';
  detail: string;
}

export interface PreflightInput {
  provider: ProviderV1;
  credential: ProviderCredentialRef;
  /** The stored current key, when there is one. */
  current?: { value: SecretValue; providerKeyId: string | null } | undefined;
  signal?: AbortSignal | undefined;
}

export function preflightFailed(checks: readonly PreflightCheck[]): boolean {
  return checks.some((check) => check.result === 'failed');
}

export async function runPreflight(input: PreflightInput): Promise<PreflightCheck[]> {
  const { provider, credential } = input;
  const checks: PreflightCheck[] = [];
  const project = credential.scope['project'] ?? credential.scope['workspace'];
  const where = project === undefined ? '' : ` of ${credential.scope['project'] === undefined ? 'workspace' : 'project'} ${project}`;

  let listed: ProviderKeyInfo[] | undefined;
  if (provider.capabilities.listKeys) {
    try {
      listed = await provider.listKeys!({ credential, signal: input.signal });
      checks.push({ check: 'admin access', result: 'ok', detail: `the admin credential lists keys${where} (${listed.length} found); the base URL answers` });
      if (project !== undefined) checks.push({ check: 'project', result: 'ok', detail: `${project} exists` });
    } catch (error) {
      // A 404 under a wrong base URL is the base URL's fault, not the project's.
      const notFound = error instanceof ProviderError && error.status === 404 && !error.message.includes('the base URL lacks');
      if (notFound && project !== undefined) {
        checks.push({ check: 'project', result: 'failed', detail: `${project} was not found at ${provider.kind}, or the admin key's organization cannot see it (${reasonOf(error)})` });
      } else {
        checks.push({ check: 'admin access', result: 'failed', detail: reasonOf(error) });
      }
      return checks;
    }
  } else {
    checks.push({ check: 'admin access', result: 'skipped', detail: `${provider.kind} cannot list keys by API` });
  }

  if (provider.capabilities.mint === 'api' && provider.findMinted !== undefined) {
    // What mint and crash recovery will call (service accounts, for OpenAI): read-only here.
    try {
      await provider.findMinted.call(provider, { credential, rotationId: 'preflight-check', signal: input.signal });
      checks.push({ check: 'mint permission', result: 'ok', detail: 'the admin credential may read what a rotation creates (service accounts / keys)' });
    } catch (error) {
      checks.push({ check: 'mint permission', result: 'failed', detail: reasonOf(error) });
    }
  } else {
    checks.push({ check: 'mint permission', result: 'skipped', detail: `${provider.kind} keys are created by a person; the rotation waits for one` });
  }

  const current = input.current;
  if (current === undefined) {
    checks.push({ check: 'stored key', result: 'skipped', detail: 'no current value stored' });
    return checks;
  }
  if (listed !== undefined) {
    const byId = current.providerKeyId === null ? undefined : listed.find((key) => key.providerKeyId === current.providerKeyId || key.providerData['serviceAccountId'] === current.providerKeyId);
    const byValue = listed.filter((key) => key.redactedValue !== null && matchesRedacted(current.value.reveal(), key.redactedValue) === true);
    if (byId !== undefined) checks.push({ check: 'stored key', result: 'ok', detail: `its provider key id ${current.providerKeyId} is a key${where}` });
    else if (current.providerKeyId !== null) checks.push({ check: 'stored key', result: 'failed', detail: `its provider key id ${current.providerKeyId} is not a key${where}: fix it with \`rekey credential edit ${credential.name} --provider-key-id <id>\`` });
    else if (byValue.length === 1) checks.push({ check: 'stored key', result: 'ok', detail: `it matches key ${byValue[0]?.providerKeyId ?? ''}${where} (by its redacted value)` });
    else if (listed.some((key) => key.redactedValue !== null)) checks.push({ check: 'stored key', result: 'failed', detail: `it is not one of the ${listed.length} keys${where}: the value or the scope is wrong` });
    else checks.push({ check: 'stored key', result: 'skipped', detail: `the provider shows no redacted values to compare` });
  }
  try {
    const tested = await provider.test({ credential, value: current.value, models: [], signal: input.signal });
    if (tested.liveness === 'live') checks.push({ check: 'key works', result: 'ok', detail: 'the stored key is accepted' });
    else checks.push({ check: 'key works', result: tested.liveness === 'dead' ? 'failed' : 'skipped', detail: `the stored key is ${tested.liveness}${tested.reason === undefined ? '' : `: ${tested.reason}`}` });
  } catch (error) {
    checks.push({ check: 'key works', result: 'failed', detail: reasonOf(error) });
  }
  return checks;
}
