/**
 * Rotates the OpenAI admin key itself (admin keys have full CRUD, so an admin key can
 * replace itself). Order matters so that no step can lock rekey out:
 *   1. find the current key's id (given, or matched on its redacted value);
 *   2. create the new key (a lost answer is reconciled by name, never created twice);
 *   3. wait until the new key answers;
 *   4. hand it to `persist` (the caller saves it) — a failure here deletes the new key
 *      and leaves the old one untouched;
 *   5. delete the old key using the new one, and confirm the old key is refused.
 */
import { ConfigError, ProviderError } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';
import { backoffMs, isOutcomeUnknown } from '../http/provider-http.js';
import { matchesRedacted } from '../provider-liveness.js';
import { loadSecretSetting } from '../provider-settings.js';
import { resolveOpenAIParts } from './openai-provider.js';
import type { OpenAIProviderOptions } from './openai-provider.js';

export interface OpenAIAdminKeyRotatorOptions extends OpenAIProviderOptions {
  /** How long to wait for the new key to answer. Default 120 s. */
  activationTimeoutMs?: number | undefined;
  /** How long to wait for the old key to be refused. Default 120 s. */
  revocationTimeoutMs?: number | undefined;
}

export interface AdminKeyRotationRequest {
  /** The current key's id; found by its redacted value when absent. */
  currentKeyId?: string | undefined;
  /** Name of the new key. Default `rekey-admin-<ISO time>`. */
  name?: string | undefined;
  expiresInSeconds?: number | undefined;
  /** Saves the new key before the old one is deleted. */
  persist: (newKey: SecretValue, newKeyId: string) => Promise<void>;
  signal?: AbortSignal | undefined;
}

export interface AdminKeyRotationResult {
  newKey: SecretValue;
  newKeyId: string;
  oldKeyId: string;
  /** False when the old key was already gone at delete time. */
  oldKeyDeleted: boolean;
  /** True once the old key was seen refused (401/403) within the bound. */
  oldKeyConfirmedDead: boolean;
}

export function createOpenAIAdminKeyRotator(options: OpenAIAdminKeyRotatorOptions = {}) {
  const currentKey = loadSecretSetting({ value: options.adminKey, settingName: 'adminKey', environmentVariable: 'OPENAI_ADMIN_KEY', description: 'OpenAI admin key', environment: options.environment });
  const { admin } = resolveOpenAIParts({ ...options, adminKey: currentKey });
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const now = options.now ?? Date.now;

  async function pollStatus(key: SecretValue, wanted: 'live' | 'dead', timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    const started = now();
    let interval = 250;
    for (;;) {
      try {
        const response = await admin.probeAdminKey(key, signal);
        const live = response.status >= 200 && response.status < 300;
        const dead = response.status === 401 || response.status === 403;
        if ((wanted === 'live' && live) || (wanted === 'dead' && dead)) return true;
      } catch {
        // Faults and timeouts: keep polling until the bound.
      }
      if (now() - started + interval > timeoutMs || signal?.aborted) return false;
      await sleep(interval);
      interval = Math.min(5_000, interval * 2);
    }
  }

  async function findCurrentKeyId(signal: AbortSignal | undefined): Promise<string> {
    const keys = await admin.listAdminKeys(signal);
    const matches = keys.filter((key) => key.redacted_value && matchesRedacted(currentKey.reveal(), key.redacted_value) === true);
    if (matches.length !== 1 || !matches[0]) {
      throw new ConfigError(`openai: cannot tell which admin key is the current one (${matches.length} keys match its redacted value)`, { hint: 'pass currentKeyId' });
    }
    return matches[0].id;
  }

  async function createKey(name: string, expiresInSeconds: number | undefined, signal: AbortSignal | undefined) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await admin.createAdminKey(name, signal, expiresInSeconds);
      } catch (error) {
        if (!isOutcomeUnknown(error) || attempt >= 3) throw error;
        // Its value is lost with the answer: delete any key of that name, then try again.
        for (const orphan of (await admin.listAdminKeys(signal)).filter((key) => key.name === name)) await admin.deleteAdminKey(orphan.id, currentKey, signal);
        await sleep(backoffMs(attempt, { baseDelayMs: 250, maxDelayMs: 4000 }, Math.random));
      }
    }
  }

  return {
    async rotate(request: AdminKeyRotationRequest): Promise<AdminKeyRotationResult> {
      const oldKeyId = request.currentKeyId ?? (await findCurrentKeyId(request.signal));
      const name = request.name ?? `rekey-admin-${new Date(now()).toISOString()}`;
      const created = await createKey(name, request.expiresInSeconds, request.signal);
      const newKey = new SecretValue(created.value);
      const discardNew = () => admin.deleteAdminKey(created.id, currentKey, request.signal).catch(() => false);

      if (!(await pollStatus(newKey, 'live', options.activationTimeoutMs ?? 120_000, request.signal))) {
        await discardNew();
        throw new ProviderError('openai: the new admin key never started working; it was deleted and the current key kept', { provider: 'openai', isRetryable: true });
      }
      try {
        await request.persist(newKey, created.id);
      } catch (error) {
        await discardNew();
        throw error;
      }
      const oldKeyDeleted = await admin.deleteAdminKey(oldKeyId, newKey, request.signal);
      const oldKeyConfirmedDead = await pollStatus(currentKey, 'dead', options.revocationTimeoutMs ?? 120_000, request.signal);
      return { newKey, newKeyId: created.id, oldKeyId, oldKeyDeleted, oldKeyConfirmedDead };
    },
  };
}
