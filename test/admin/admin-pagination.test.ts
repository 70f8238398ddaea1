/**
 * Pagination through the Admin client against the emulator, with failures injected in
 * front of it: a 5xx (and a 429 with retry-after) on a middle page is retried through the
 * provider HTTP helper and the listing is complete; a page that keeps failing ends in a
 * partial-result error that says how many rows came before — never a silently short list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminClient } from '../../src/admin/admin-client.js';
import { resourceRows } from '../../src/admin/admin-resource-spec.js';
import { OPENAI_RESOURCES } from '../../src/admin/openai-admin-resources.js';
import { reportRows, OPENAI_USAGE_REPORTS } from '../../src/admin/admin-reports.js';
import { startEmulator, type RunningEmulator, type SeededOrganization } from '../../src/emulator/emulator.js';

let emulator: RunningEmulator;
let seeded: SeededOrganization;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 99 });
  seeded = emulator.seedOrganization({ days: 20, bulkKeys: 250 });
});
afterAll(async () => {
  await emulator.close();
});

/** Answers `failures` requests that match with `status` (429 carries retry-after: 2), then passes through. */
function faultyFetch(match: (url: URL) => boolean, failures: number, status: number) {
  let left = failures;
  const waits: number[] = [];
  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    if (match(url) && left > 0) {
      left -= 1;
      return new Response(JSON.stringify({ error: { message: 'injected', type: 'server_error', param: null, code: null } }), { status, headers: status === 429 ? { 'retry-after': '2' } : {} });
    }
    return globalThis.fetch(input, init);
  };
  return { fetch, waits, sleep: async (milliseconds: number) => void waits.push(milliseconds) };
}

const keysSpec = OPENAI_RESOURCES.find((spec) => spec.noun === 'keys');
const client = (transport: ReturnType<typeof faultyFetch>) =>
  createAdminClient({ vendor: 'openai', baseUrl: emulator.openaiBaseUrl, adminKey: emulator.adminKeys.openai, keyVariable: 'OPENAI_ADMIN_KEY', fetch: transport.fetch, sleep: transport.sleep });

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

describe('admin pagination with failures', () => {
  const bulk = () => seeded.openai.projects['bulk'] ?? '';
  const secondPage = (url: URL) => url.pathname.endsWith('/api_keys') && url.searchParams.has('after');

  it('a 503 and a 429 (retry-after 2 s) on the second page are retried; every key is listed once', async () => {
    if (keysSpec === undefined) throw new Error('no keys resource');
    for (const status of [503, 429]) {
      const transport = faultyFetch(secondPage, 2, status);
      const rows = await collect(resourceRows(client(transport), keysSpec, { scope: bulk() }));
      expect(rows).toHaveLength(250);
      expect(new Set(rows.map((row) => row['id'])).size).toBe(250);
      expect(transport.waits).toHaveLength(2);
      if (status === 429) expect(transport.waits).toEqual([2000, 2000]);
    }
  });

  it('a page that keeps failing: a partial-result error naming the rows already written', async () => {
    if (keysSpec === undefined) throw new Error('no keys resource');
    const transport = faultyFetch(secondPage, 100, 500);
    const seen: unknown[] = [];
    const failure = await (async () => {
      for await (const row of resourceRows(client(transport), keysSpec, { scope: bulk() })) seen.push(row);
    })().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(seen).toHaveLength(100);
    expect(failure?.message).toMatch(/HTTP 500 \(server_error\) after 5 attempts;.*partial result: 100 rows from 1 page were written before page 2 failed, so the output is incomplete/);
  });

  it('usage pages (next_page) get the same treatment', async () => {
    const completions = OPENAI_USAGE_REPORTS.find((spec) => spec.name === 'completions');
    if (completions === undefined) throw new Error('no completions report');
    const range = { startMs: Date.now() - 20 * 86_400_000, endMs: Date.now() };
    const clean = await collect(reportRows(client(faultyFetch(() => false, 0, 500)), completions, { range, bucket: '1h', apiGroupBy: [] }));
    const transport = faultyFetch((url) => url.pathname.endsWith('/usage/completions') && url.searchParams.has('page'), 1, 502);
    expect(await collect(reportRows(client(transport), completions, { range, bucket: '1h', apiGroupBy: [] }))).toEqual(clean);
    expect(clean.length).toBeGreaterThan(168);
  });
});
