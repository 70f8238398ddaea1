/**
 * The provider contract suite (DESIGN.md §3, §8): every adapter runs it against a backend
 * with faults switched on (429s with retry-after, 5xx, activation and revocation delays,
 * latency). Ground truth comes from the backend itself (`isKeyLive`), never from the
 * adapter under test.
 *
 * - a dead key is never reported live;
 * - a new key becomes live within a bound (activation delay is waited out);
 * - revoke is idempotent ("already gone" is success) and the key ends up dead;
 * - nothing is minted twice when the mint answer is lost, and `findMinted` reconciles
 *   after a crash;
 * - no key value appears in any error thrown or any reason returned.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretValue } from '../../src/core/secret-value.js';
import { waitUntilDead, waitUntilLive } from '../../src/providers/provider-liveness.js';
import type { FetchFunction } from '../../src/providers/http/provider-http.js';
import type { MintedKey, ProviderCredentialRef, ProviderV1 } from '../../src/providers/provider-spec.js';

export interface ProviderContractSubject {
  provider: ProviderV1;
  credential: ProviderCredentialRef;
  /** Backend ground truth: is this value accepted for inference right now? */
  isKeyLive(value: SecretValue): boolean;
  /** A well-formed value the backend never issued. */
  unknownKeyValue: SecretValue;
  /** Human-mint providers: a person creates a key in the console and pastes it. */
  supplyValue?(): Promise<SecretValue>;
  /** Human-revoke providers: a person revokes the key in the console. */
  revokeByHand?(minted: MintedKey): Promise<void>;
  /** API-mint providers: provider-side objects named after this rotation id (ground truth). */
  countMinted?(rotationId: string): Promise<number>;
  /**
   * The same adapter, but its fetch loses the answer to the first successful mint call.
   * `retry`: later calls work (a dropped connection). `crash`: every later call fails too,
   * as if the process died right after the provider acted.
   */
  withLostMintResponse?(mode: 'retry' | 'crash'): ProviderV1;
  /** The same adapter over another fetch (to put the provider down). */
  withFetch(fetch: FetchFunction): ProviderV1;
  /** The same adapter holding a wrong (planted) admin credential, to provoke auth errors. */
  withWrongCredentials?(): { provider: ProviderV1; planted: SecretValue };
  /** True when the adapter can tell whether a key is in the credential's scope (then it must say `true`). */
  scopeCheckable: boolean;
  /** Why a check is skipped for this adapter, by check name. */
  skips?: Partial<Record<'mintOnce' | 'revokeIdempotent', string>>;
  /** Every secret the backend handed out that errors must never show (admin keys…). */
  knownSecrets: SecretValue[];
  activationBoundMs: number;
  revocationBoundMs: number;
  close(): Promise<void>;
}

const POLL = { intervalMs: 100, maxIntervalMs: 1000 } as const;
/** Generous: faults add retry-after waits, and the machine may be loaded. */
const TEST_TIMEOUT_MS = 120_000;

export function describeProviderContract(name: string, setup: () => Promise<ProviderContractSubject>): void {
  describe(`provider contract: ${name}`, () => {
    let subject: ProviderContractSubject;
    const secrets: SecretValue[] = [];
    const surfaced: unknown[] = [];
    let counter = 0;
    const rotationId = () => `rot-${Date.now().toString(36)}-${(counter += 1)}`;

    /** Records every error thrown and every reason returned, for the final grep. */
    function watched(provider: ProviderV1): ProviderV1 {
      return new Proxy(provider, {
        get(target, property, receiver) {
          const member = Reflect.get(target, property, receiver) as unknown;
          if (typeof member !== 'function') return member;
          return async (...parameters: unknown[]) => {
            try {
              const result = (await (member as (...args: unknown[]) => Promise<unknown>).apply(target, parameters)) as unknown;
              if (result && typeof result === 'object' && 'reason' in result) surfaced.push((result as { reason?: unknown }).reason);
              return result;
            } catch (error) {
              surfaced.push(error);
              throw error;
            }
          };
        },
      });
    }

    async function mintOne(provider: ProviderV1, id = rotationId()): Promise<MintedKey> {
      const suppliedValue = subject.provider.capabilities.mint === 'human' ? await subject.supplyValue?.() : undefined;
      const minted = await provider.mint({ credential: subject.credential, rotationId: id, suppliedValue });
      secrets.push(minted.value);
      if (suppliedValue) secrets.push(suppliedValue);
      return minted;
    }

    async function revokeOne(minted: MintedKey) {
      if (subject.provider.capabilities.revoke === 'human') {
        await subject.revokeByHand?.(minted);
        return undefined;
      }
      return watched(subject.provider).revoke({ credential: subject.credential, providerKeyId: minted.providerKeyId, providerData: minted.providerData });
    }

    beforeAll(async () => {
      subject = await setup();
      secrets.push(...subject.knownSecrets, subject.unknownKeyValue);
    });
    afterAll(async () => {
      await subject?.close();
    }, TEST_TIMEOUT_MS);

    it('mints a key that becomes live within the activation bound, in the credential scope', async () => {
      const provider = watched(subject.provider);
      const minted = await mintOne(provider);
      // Activation only goes from refused to accepted, so "live" while the provider still
      // refuses the key afterwards can only be a false positive.
      const early = await provider.test({ credential: subject.credential, value: minted.value });
      if (early.liveness === 'live') expect(subject.isKeyLive(minted.value)).toBe(true);
      const waited = await waitUntilLive({ provider, request: { credential: subject.credential, value: minted.value }, timeoutMs: subject.activationBoundMs, ...POLL });
      expect(waited.reached, waited.last.reason).toBe(true);
      expect(subject.isKeyLive(minted.value)).toBe(true);
      expect(waited.last.scopeMatches).toBe(subject.scopeCheckable ? true : null);
      for (const probe of waited.last.models) expect(probe, `model ${probe.model}`).toMatchObject({ ok: true });
      expect(waited.last.models.map((probe) => probe.model)).toEqual(subject.credential.allowedModels);
      await revokeOne(minted);
    }, TEST_TIMEOUT_MS);

    it('never reports a key the provider never issued as live', async () => {
      const provider = watched(subject.provider);
      const results = [];
      for (let round = 0; round < 6; round += 1) results.push(await provider.test({ credential: subject.credential, value: subject.unknownKeyValue }));
      expect(results.map((result) => result.liveness)).not.toContain('live');
      // Faults may make some answers "unknown", but the refusal must get through.
      expect(results.map((result) => result.liveness)).toContain('dead');
    }, TEST_TIMEOUT_MS);

    it('says "unknown", never live or dead, when the provider is down or answers garbage', async () => {
      const down: FetchFunction = async () => new Response(JSON.stringify({ error: { message: 'upstream unavailable', type: 'server_error' } }), { status: 503, headers: { 'retry-after': '0' } });
      const refused: FetchFunction = async () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
      const garbage: FetchFunction = async () => new Response('<html>maintenance</html>', { status: 404 });
      for (const fetch of [down, refused, garbage]) {
        const result = await watched(subject.withFetch(fetch)).test({ credential: subject.credential, value: subject.unknownKeyValue });
        expect(result.liveness).toBe('unknown');
        expect(result.reason).toBeTruthy();
      }
    }, TEST_TIMEOUT_MS);

    it('revokes a key until it is dead, and never reports it live once the provider refuses it', async () => {
      const provider = watched(subject.provider);
      const minted = await mintOne(provider);
      const request = { credential: subject.credential, value: minted.value };
      expect((await waitUntilLive({ provider, request, timeoutMs: subject.activationBoundMs, ...POLL })).reached).toBe(true);
      await revokeOne(minted);
      const dead = await waitUntilDead({ provider, request, timeoutMs: subject.revocationBoundMs, ...POLL });
      expect(dead.reached, dead.last.reason).toBe(true);
      for (let round = 0; round < 5; round += 1) {
        const liveBefore = subject.isKeyLive(minted.value);
        const result = await provider.test(request);
        if (!liveBefore) expect(result.liveness).not.toBe('live');
      }
      expect(subject.isKeyLive(minted.value)).toBe(false);
    }, TEST_TIMEOUT_MS);

    it('revoke is idempotent: a second revoke of the same key reports "already gone"', async (context) => {
      const reason = subject.skips?.revokeIdempotent ?? (subject.provider.capabilities.revoke === 'human' ? 'a person revokes keys of this provider; the adapter cannot' : undefined);
      if (reason) return context.skip(reason);
      const provider = watched(subject.provider);
      const minted = await mintOne(provider);
      const request = { credential: subject.credential, providerKeyId: minted.providerKeyId, providerData: minted.providerData };
      expect(await provider.revoke(request)).toEqual({ alreadyGone: false });
      expect(await provider.revoke(request)).toEqual({ alreadyGone: true });
      const dead = await waitUntilDead({ provider, request: { credential: subject.credential, value: minted.value }, timeoutMs: subject.revocationBoundMs, ...POLL });
      expect(dead.reached).toBe(true);
    }, TEST_TIMEOUT_MS);

    it('mints nothing twice when the mint answer is lost, and retries to one live key', async (context) => {
      const reason = subject.skips?.mintOnce ?? (subject.provider.capabilities.mint === 'human' ? 'a person mints keys of this provider; there is no mint call to lose' : undefined);
      if (reason) return context.skip(reason);
      if (!subject.withLostMintResponse || !subject.countMinted) throw new Error('an API-mint subject must provide withLostMintResponse and countMinted');
      const id = rotationId();
      const minted = await mintOne(watched(subject.withLostMintResponse('retry')), id);
      expect(await subject.countMinted(id)).toBe(1);
      const waited = await waitUntilLive({ provider: subject.provider, request: { credential: subject.credential, value: minted.value }, timeoutMs: subject.activationBoundMs, ...POLL });
      expect(waited.reached).toBe(true);
      await revokeOne(minted);
      expect(await subject.countMinted(id)).toBe(0);
    }, TEST_TIMEOUT_MS);

    it('after a crash between mint and save, findMinted finds the orphan so it is revoked, not duplicated', async (context) => {
      const reason = subject.skips?.mintOnce ?? (subject.provider.capabilities.mint === 'human' ? 'a person mints keys of this provider; nothing is minted by rekey' : undefined);
      if (reason) return context.skip(reason);
      if (!subject.withLostMintResponse || !subject.countMinted || !subject.provider.findMinted) throw new Error('an API-mint subject must provide findMinted, withLostMintResponse and countMinted');
      const id = rotationId();
      await expect(mintOne(watched(subject.withLostMintResponse('crash')), id)).rejects.toThrow();
      expect(await subject.countMinted(id)).toBe(1);
      const provider = watched(subject.provider);
      const orphan = await provider.findMinted?.({ credential: subject.credential, rotationId: id });
      expect(orphan).toBeDefined();
      expect(await subject.provider.findMinted?.({ credential: subject.credential, rotationId: `${id}-other` })).toBeUndefined();
      await provider.revoke({ credential: subject.credential, providerKeyId: orphan?.providerKeyId ?? null, providerData: orphan?.providerData ?? {} });
      expect(await subject.countMinted(id)).toBe(0);
      const minted = await mintOne(provider, id);
      expect(await subject.countMinted(id)).toBe(1);
      await revokeOne(minted);
    }, TEST_TIMEOUT_MS);

    it('refuses wrong provider credentials with a typed, non-retryable error', async (context) => {
      if (!subject.withWrongCredentials) return context.skip('this adapter holds no provider credential of its own');
      const { provider, planted } = subject.withWrongCredentials();
      secrets.push(planted);
      const error = await watched(provider)
        .revoke({ credential: subject.credential, providerKeyId: 'key_does_not_matter', providerData: { serviceAccountId: 'svc_acct_x', slot: 'key2' } })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toMatchObject({ code: 'provider', isRetryable: false });
      expect([401, 403]).toContain((error as { status?: number }).status);
    }, TEST_TIMEOUT_MS);

    it('never shows a key value in an error thrown or a reason returned (planted and grepped)', () => {
      expect(surfaced.length).toBeGreaterThan(0);
      const rendered = surfaced
        .map((item) => [String(item), inspect(item, { depth: 6 }), JSON.stringify(item ?? null), item instanceof Error ? JSON.stringify({ ...item }) : ''].join('\n'))
        .join('\n');
      for (const secret of secrets) {
        const value = secret.reveal();
        expect(rendered.includes(value), `a planted value (${secret.hint}) appeared`).toBe(false);
        // Long fragments too: an echo of most of a key is as bad as the key.
        expect(rendered.includes(value.slice(0, Math.min(24, value.length - 4))), `a fragment of ${secret.hint} appeared`).toBe(false);
      }
    });
  });
}
