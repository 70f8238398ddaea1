/** Time is injected so that grace windows, schedules and key age are tested without sleeping. */
export interface Clock {
  now(): Date;
  sleep(milliseconds: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

/** A clock for tests: time moves only when `advance` is called or someone sleeps. */
export function createManualClock(start = new Date('2026-01-01T00:00:00Z')): Clock & { advance(milliseconds: number): void } {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(milliseconds) {
      current += milliseconds;
    },
    async sleep(milliseconds) {
      current += milliseconds;
    },
  };
}
