import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { planReloads, runReloads } from '../../src/sinks/reload-plan.js';
import { createReloadAction } from '../../src/sinks/reload-registry.js';

const key = new SecretValue('sk-proj-RELOADvalue000000000000000000000000000001');
const request = { credential: 'openai/ticketing/prod', version: 2, fingerprint: 'fp', value: key };

describe('reload planner', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-reload-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  /** An exec reload that appends a line per run, so the test counts restarts. */
  const restart = (app: string, log: string) => ({ app, kind: 'exec', command: ['sh', '-c', `echo restarted >> ${log}`], keyVia: 'none' });

  it('groups by app: three sinks feeding one app restart it once, after all three hold the key', async () => {
    const log = join(directory, 'ticketing.log');
    const consumers = [
      { name: 'ticketing-env', reload: restart('ticketing', log) },
      { name: 'ticketing-vault', reload: restart('ticketing', log) },
      { name: 'ticketing-k8s', reload: { app: 'ticketing' } },
      { name: 'billing-env', reload: restart('billing', join(directory, 'billing.log')) },
      { name: 'no-reload', reload: null },
    ];
    const groups = planReloads(consumers);
    expect(groups.map((group) => [group.app, group.consumers, group.actions.length])).toEqual([
      ['ticketing', ['ticketing-env', 'ticketing-vault', 'ticketing-k8s'], 1],
      ['billing', ['billing-env'], 1],
    ]);

    const delivered = new Set(['ticketing-env', 'ticketing-vault', 'billing-env']);
    const first = await runReloads(groups, { delivered: (name) => delivered.has(name), createReload: createReloadAction, request });
    expect(first[0]).toEqual({ app: 'ticketing', status: 'held', waitingFor: ['ticketing-k8s'] });
    expect(first[1]).toMatchObject({ app: 'billing', status: 'reloaded' });
    await expect(readFile(log, 'utf8')).rejects.toThrow();

    delivered.add('ticketing-k8s');
    const second = await runReloads(groups.slice(0, 1), { delivered: (name) => delivered.has(name), createReload: createReloadAction, request });
    expect(second[0]).toMatchObject({ app: 'ticketing', status: 'reloaded' });
    expect(await readFile(log, 'utf8')).toBe('restarted\n');
  });

  it('reports a failed action with its retryability and stops that app there', async () => {
    const groups = planReloads([{ name: 'a', reload: { app: 'x', kind: 'exec', command: ['sh', '-c', 'exit 3'], keyVia: 'none' } }]);
    const [outcome] = await runReloads(groups, { delivered: () => true, createReload: createReloadAction, request });
    expect(outcome).toMatchObject({ app: 'x', status: 'failed', isRetryable: true });
    expect(JSON.stringify(outcome)).not.toContain(key.reveal());
  });

  it('rejects an unknown reload kind by name', async () => {
    await expect(createReloadAction('a', { kind: 'telepathy' })).rejects.toThrow(/unknown reload kind "telepathy"/);
  });
});
