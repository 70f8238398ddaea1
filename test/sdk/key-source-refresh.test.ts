import { describe, expect, it } from 'vitest';
import { createKeySource } from '../../src/sdk/index.js';

function keysResponse(version: number, generation: number): Response {
  return Response.json({ generation, keys: [{ version, stage: 'current', value: `sk-test-${version}-aaaaaaaaaaaa` }] }, { headers: { etag: `"g${generation}"` } });
}

/** A fake endpoint: plain GETs wait until the test answers them; long polls hang until aborted. */
function fakeEndpoint() {
  const pending: Array<(response: Response) => void> = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (String(input).includes('wait=')) {
      return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    return new Promise((resolve) => pending.push(resolve));
  };
  return { fetch, pending };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('key source refresh', () => {
  it('shares a reload started after the 401, and follows a reload that started before it with exactly one more', async () => {
    const endpoint = fakeEndpoint();
    const source = createKeySource({ credential: 'c', from: { url: 'https://rekey.invalid', token: 't', checkInIntervalMilliseconds: 0 }, fetch: endpoint.fetch });
    const first = source.current();
    await tick();
    endpoint.pending.shift()?.(keysResponse(1, 100));
    expect((await first).version).toBe(1);

    const early = source.refresh(); // reload #1 starts, will answer with stale data
    await tick();
    const after401 = performance.now();
    const callers = [source.refresh({ notOlderThan: after401 }), source.refresh({ notOlderThan: after401 }), source.refresh({ notOlderThan: after401 })];
    expect(endpoint.pending).toHaveLength(1);
    endpoint.pending.shift()?.(keysResponse(1, 100));
    await early;
    await tick();
    expect(endpoint.pending).toHaveLength(1); // one follow-up for all three callers
    endpoint.pending.shift()?.(keysResponse(2, 200));
    await Promise.all(callers);
    expect((await source.current()).version).toBe(2);

    // A reload in flight that started after the 401 is simply shared.
    const late = source.refresh();
    await tick();
    const shared = source.refresh({ notOlderThan: performance.now() - 1_000 });
    expect(endpoint.pending).toHaveLength(1);
    endpoint.pending.shift()?.(keysResponse(3, 300));
    await Promise.all([late, shared]);
    expect((await source.current()).version).toBe(3);

    // A late answer from an older generation never brings an old key back.
    const stale = source.refresh();
    await tick();
    endpoint.pending.shift()?.(keysResponse(2, 200));
    await stale;
    expect((await source.current()).version).toBe(3);
    await source.close();
  });
});
