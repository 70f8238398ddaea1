/**
 * Counts refused tokens at `rekey serve` or the proxy and writes them to the store per
 * minute (`recordAuthFailures`), where the alert round reads the rate (token guessing, or an
 * app with a wrong or revoked token). Counts gather in memory and are flushed every few
 * seconds, so a flood of bad tokens costs one write per flush, not one per request. Only a
 * count is kept: never what was presented.
 */
import type { Store } from '../store/store.js';

export interface AuthFailureCounter {
  /** One refused token, now. */
  refused(): void;
  /** Writes the refusals gathered since the last flush. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createAuthFailureCounter(options: {
  store: Pick<Store, 'recordAuthFailures'>;
  /** `serve` or `proxy`: the source alerts name. */
  source: string;
  now?: () => Date;
  flushIntervalMilliseconds?: number;
  onError?: (message: string) => void;
}): AuthFailureCounter {
  const now = options.now ?? (() => new Date());
  // Per minute start: a flush that spans a minute boundary keeps each refusal in its minute.
  const pending = new Map<number, number>();
  let flushing: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    const entries = [...pending.entries()];
    pending.clear();
    for (const [minute, count] of entries) {
      try {
        await options.store.recordAuthFailures(options.source, new Date(minute), count);
      } catch (error) {
        pending.set(minute, (pending.get(minute) ?? 0) + count);
        options.onError?.(`auth-failure count not written: ${(error as Error).name}`);
      }
    }
  }

  const timer = setInterval(() => void counter.flush(), options.flushIntervalMilliseconds ?? 5_000);
  timer.unref();

  const counter: AuthFailureCounter = {
    refused() {
      const minute = Math.floor(now().getTime() / 60_000) * 60_000;
      pending.set(minute, (pending.get(minute) ?? 0) + 1);
    },
    flush() {
      flushing = flushing.then(write);
      return flushing;
    },
    async close() {
      clearInterval(timer);
      await counter.flush();
    },
  };
  return counter;
}
