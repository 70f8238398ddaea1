/**
 * Per-token request rate for the proxy: a token bucket per virtual token holding one
 * second's worth of requests, refilled continuously. `take` answers 0 when a request may
 * go, or how many milliseconds until it could (the `retry-after` of the 429).
 */
export interface TokenRateLimiter {
  take(tokenId: string): number;
}

/** Buckets idle for this long are forgotten, so memory follows the live tokens. */
const FORGET_AFTER_MILLISECONDS = 60_000;

export function createTokenRateLimiter(perSecond: number, now: () => number = () => performance.now()): TokenRateLimiter {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new Error(`a token rate must be a positive number of requests a second, not ${perSecond}`);
  const capacity = Math.max(1, perSecond);
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();
  return {
    take(tokenId) {
      const at = now();
      if (at - lastSweep > FORGET_AFTER_MILLISECONDS) {
        for (const [id, bucket] of buckets) if (at - bucket.at > FORGET_AFTER_MILLISECONDS) buckets.delete(id);
        lastSweep = at;
      }
      const bucket = buckets.get(tokenId) ?? { tokens: capacity, at };
      bucket.tokens = Math.min(capacity, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
      bucket.at = at;
      buckets.set(tokenId, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return ((1 - bucket.tokens) / perSecond) * 1000;
    },
  };
}
