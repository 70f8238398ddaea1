/**
 * Adapts the usage reports (proxy metering, SDK check-ins) to the rotation engine's
 * `UsageSource` (src/rotation/rotation-deps.ts), so the grace step sees who still uses
 * the old key:
 *
 *   executor deps: { …, usageSources: createRotationUsageSources({ reports: store, tokens: store, clock }) }
 *
 * Activity is the last report with requests (`lastUsedAt`); an SDK check-in with 0 requests
 * only says "this process holds that version" and is not activity. Counts cover whole minutes
 * from the one containing `since`. Resolution: how stale a source can be — the proxy
 * flushes every 2 s, an SDK checks in every 15 s (and within 0.2 s of first using a version).
 */
import type { Clock } from '../core/clock.js';
import type { UsageObservation } from '../rotation/grace.js';
import type { UsageSource } from '../rotation/rotation-deps.js';
import { usageMinuteOf, type AccessTokenKind } from '../core/types.js';
import type { Store } from '../store/store.js';

const TOKEN_KIND: Record<'proxy' | 'sdk', AccessTokenKind> = { proxy: 'proxy', sdk: 'read' };

export const PROXY_RESOLUTION_SECONDS = 5;
export const SDK_RESOLUTION_SECONDS = 30;

export function createRotationUsageSources(options: {
  reports: Pick<Store, 'listConsumerUsage'>;
  clock: Clock;
  /**
   * When given, a source with no reports for a credential that no token of its kind can
   * reach (none live, none revoked after the grace began) stays out of the grace decision:
   * nothing can be using the key through that channel, so it need not vouch for the window.
   */
  tokens?: Pick<Store, 'listAccessTokens'> | undefined;
  /** Override how stale each source may be (e.g. a deployment with a shorter SDK check-in interval). */
  resolutionSeconds?: { proxy?: number; sdk?: number };
}): UsageSource[] {
  const { reports, clock, tokens } = options;
  const channelReaches = async (name: 'proxy' | 'sdk', credentialId: string, since: Date): Promise<boolean> => {
    if (tokens === undefined) return true;
    const granted = await tokens.listAccessTokens({ kind: TOKEN_KIND[name], includeRevoked: true });
    return granted.some((token) => token.credentialIds.includes(credentialId) && (token.revokedAt === null || token.revokedAt >= since));
  };
  const sourceFor = (name: 'proxy' | 'sdk', resolutionSeconds: number): UsageSource => ({
    name,
    async observe({ credential, version, since }) {
      const observedAt = clock.now();
      const countedSince = new Date(usageMinuteOf(since));
      const found = (await reports.listConsumerUsage(credential.id, version, since)).filter((observation) => observation.source === name);
      if (found.length === 0) {
        if (!(await channelReaches(name, credential.id, since))) return [];
        // "Looked and saw nothing" is evidence too: without it the grace check could not
        // tell that this source's data covers the quiet window.
        return [{ source: name, consumer: null, lastUsedAt: null, requests: 0, countedSince, observedAt, resolutionSeconds }];
      }
      return found.map(
        (observation): UsageObservation => ({
          source: name,
          consumer: observation.consumer,
          lastUsedAt: observation.lastUsedAt,
          requests: observation.requests,
          countedSince,
          observedAt,
          resolutionSeconds,
        }),
      );
    },
  });
  return [
    sourceFor('proxy', options.resolutionSeconds?.proxy ?? PROXY_RESOLUTION_SECONDS),
    sourceFor('sdk', options.resolutionSeconds?.sdk ?? SDK_RESOLUTION_SECONDS),
  ];
}
