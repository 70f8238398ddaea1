/**
 * An in-memory provider that implements ProviderV1, with knobs for the failures the
 * rotation engine must survive: mint errors, a mint whose answer never comes (the worker
 * "dies"), activation delay, wrong scope, refused models, revoke errors, unreadable usage.
 * Traffic is simulated with `use(value)`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/core/clock.js';
import { ProviderError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { needsHumanValue } from '../../src/providers/provider-human.js';
import type { KeyTestResult, ProviderKeyInfo, ProviderV1 } from '../../src/providers/provider-spec.js';

export interface FakeKey {
  id: string;
  name: string | null;
  value: string;
  live: boolean;
  /** Test calls that still answer 401 (activation delay). */
  activationLeft: number;
  lastUsedAt: Date | null;
  uses: Date[];
}

export interface FakeProviderKnobs {
  mintFailures: number;
  /** The next mint creates the key, then never answers (a worker killed mid-call). */
  hangAfterMint: boolean;
  /** Mint answers only when its signal aborts (a provider that does not answer). */
  mintUnresponsive: boolean;
  /** The next mint creates the key, then fails (an answer lost or garbled after the provider acted). */
  mintFailsAfterCreating: boolean;
  activationAttempts: number;
  wrongScope: boolean;
  /** The next N live test answers say "another project" (a new key not yet listed). */
  wrongScopeAnswers: number;
  refuseModels: string[];
  revokeFailures: number;
  usageFailures: number;
  /** Every usage poll first records a use of the key being watched (an app that never switched). */
  trafficOnUsagePoll: boolean;
}

export function createFakeProvider(options: { clock: Clock; mint?: 'api' | 'human'; revoke?: 'api' | 'human' }) {
  const keys: FakeKey[] = [];
  const calls: string[] = [];
  /** What the engine said it replaces, per mint (the Azure adapter needs it). */
  const replacing: unknown[] = [];
  let counter = 0;
  const knobs: FakeProviderKnobs = {
    mintFailures: 0,
    hangAfterMint: false,
    mintUnresponsive: false,
    mintFailsAfterCreating: false,
    activationAttempts: 0,
    wrongScope: false,
    wrongScopeAnswers: 0,
    refuseModels: [],
    revokeFailures: 0,
    usageFailures: 0,
    trafficOnUsagePoll: false,
  };
  const mintMode = options.mint ?? 'api';
  const revokeMode = options.revoke ?? 'api';

  const add = (value: string, name: string | null): FakeKey => {
    counter += 1;
    const key: FakeKey = { id: `key_${counter}`, name, value, live: true, activationLeft: 0, lastUsedAt: null, uses: [] };
    keys.push(key);
    return key;
  };
  const byValue = (value: string) => keys.find((key) => key.value === value);
  const byId = (id: string | null) => keys.find((key) => key.id === id);
  const info = (key: FakeKey): ProviderKeyInfo => ({
    providerKeyId: key.id,
    name: key.name,
    redactedValue: `${key.value.slice(0, 8)}...${key.value.slice(-4)}`,
    createdAt: null,
    lastUsedAt: key.lastUsedAt,
    status: key.live ? 'active' : 'deleted',
    providerData: { serviceAccountId: `sa_${key.id}` },
  });
  const use = (value: string) => {
    const key = byValue(value);
    if (key === undefined || !key.live) return false;
    key.lastUsedAt = options.clock.now();
    key.uses.push(key.lastUsedAt);
    return true;
  };

  const provider: ProviderV1 = {
    specificationVersion: 'v1',
    kind: 'openai',
    capabilities: { mint: mintMode, revoke: revokeMode, usage: true, listKeys: true },

    async mint(request) {
      calls.push('mint');
      replacing.push(request.replacing);
      if (mintMode === 'human') {
        if (request.suppliedValue === undefined) throw needsHumanValue('fake');
        const key = byValue(request.suppliedValue.reveal()) ?? add(request.suppliedValue.reveal(), null);
        return { value: request.suppliedValue, providerKeyId: key.id, providerData: {} };
      }
      if (knobs.mintUnresponsive) {
        const signal = request.signal;
        return new Promise((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(new ProviderError('fake: mint aborted', { provider: 'fake', isRetryable: true })), { once: true }),
        );
      }
      if (knobs.mintFailures > 0) {
        knobs.mintFailures -= 1;
        throw new ProviderError('fake: mint refused (HTTP 500)', { provider: 'fake', status: 500, isRetryable: true });
      }
      const key = add(`sk-proj-fake${randomBytes(18).toString('hex')}`, `rekey-${request.rotationId}`);
      key.activationLeft = knobs.activationAttempts;
      if (knobs.mintFailsAfterCreating) {
        knobs.mintFailsAfterCreating = false;
        throw new ProviderError('fake: the create answer did not match the schema', { provider: 'fake', status: 200, isRetryable: false });
      }
      if (knobs.hangAfterMint) {
        knobs.hangAfterMint = false;
        return new Promise(() => undefined);
      }
      return { value: new SecretValue(key.value), providerKeyId: key.id, providerData: { serviceAccountId: `sa_${key.id}` } };
    },

    async findMinted(request) {
      calls.push('findMinted');
      const key = keys.find((candidate) => candidate.name === `rekey-${request.rotationId}` && candidate.live);
      return key === undefined ? undefined : info(key);
    },

    async test(request): Promise<KeyTestResult> {
      calls.push('test');
      const key = byValue(request.value.reveal());
      if (key === undefined || !key.live) return { liveness: 'dead', scopeMatches: null, models: [], reason: 'the key was refused (HTTP 401)' };
      if (key.activationLeft > 0) {
        key.activationLeft -= 1;
        return { liveness: 'dead', scopeMatches: null, models: [], reason: 'the key was refused (HTTP 401)' };
      }
      use(key.value);
      const models = (request.models ?? request.credential.allowedModels).map((model) => {
        const ok = !knobs.refuseModels.includes(model);
        return { model, ok, status: ok ? 200 : 404 };
      });
      const foreign = knobs.wrongScope || knobs.wrongScopeAnswers > 0;
      if (knobs.wrongScopeAnswers > 0) knobs.wrongScopeAnswers -= 1;
      return { liveness: 'live', scopeMatches: !foreign, models };
    },

    async revoke(request) {
      calls.push('revoke');
      if (knobs.revokeFailures > 0) {
        knobs.revokeFailures -= 1;
        throw new ProviderError('fake: revoke failed (HTTP 503)', { provider: 'fake', status: 503, isRetryable: true });
      }
      const key = byId(request.providerKeyId);
      if (key === undefined || !key.live) return { alreadyGone: true };
      key.live = false;
      return { alreadyGone: false };
    },

    async usage(request) {
      calls.push('usage');
      if (knobs.usageFailures > 0) {
        knobs.usageFailures -= 1;
        throw new ProviderError('fake: usage unavailable (HTTP 503)', { provider: 'fake', status: 503, isRetryable: true });
      }
      const key = byId(request.providerKeyId);
      if (key !== undefined && knobs.trafficOnUsagePoll) use(key.value);
      const uses = key?.uses.filter((at) => at >= request.since).length ?? 0;
      return { requests: uses, lastUsedAt: key?.lastUsedAt ?? null, resolutionSeconds: 60 };
    },

    async listKeys() {
      return keys.filter((key) => key.live).map(info);
    },
  };

  return {
    provider,
    knobs,
    calls,
    replacing,
    keys,
    /** An existing key (e.g. the credential's first version). */
    seed(name = 'seeded'): SecretValue {
      return new SecretValue(add(`sk-proj-seed${randomBytes(18).toString('hex')}`, name).value);
    },
    use,
    isLive: (value: string) => byValue(value)?.live === true,
    liveKeys: () => keys.filter((key) => key.live),
  };
}

export type FakeProvider = ReturnType<typeof createFakeProvider>;
