import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findDue, runDue } from '../../src/rotation/rotation-schedule.js';
import { runStaged, stageCredentials } from '../../src/rotation/rotation-staged.js';
import { seedCredential } from '../helpers/credential-seed.js';
import { createRotationFixture, type RotationFixture } from './rotation-fixture.js';

const DAY = 86_400_000;

describe('scheduled and staged rotation', () => {
  let fixture: RotationFixture;
  afterEach(async () => {
    await fixture.close();
  });

  async function addCredential(name: string, environment: string) {
    const value = fixture.fake.seed(name);
    const key = fixture.fake.keys.at(-1);
    return (await seedCredential(fixture, { name, value, providerKeyId: key?.id ?? null, scope: { project: 'proj_1' }, environment })).credential;
  }

  it('finds credentials whose current version is older than their cadence, and rotates them as scheduled', async () => {
    fixture = await createRotationFixture();
    await fixture.store.updateCredential('openai/ticketing/dev', { policy: { rotateEveryDays: 30, graceQuietSeconds: 5 } });
    await addCredential('openai/other/dev', 'dev');
    expect(await findDue(fixture.store, fixture.clock)).toEqual([]);

    fixture.clock.advance(29 * DAY);
    expect(await findDue(fixture.store, fixture.clock)).toEqual([]);
    fixture.clock.advance(2 * DAY);
    const due = await findDue(fixture.store, fixture.clock);
    expect(due).toEqual([expect.objectContaining({ credential: 'openai/ticketing/dev', version: 1, ageDays: 31, rotateEveryDays: 30, activeRotation: null })]);

    const results = await runDue({ store: fixture.store, executor: fixture.executor, clock: fixture.clock }, { actor: 'scheduler' });
    expect(results).toHaveLength(1);
    expect(results[0]?.outcome?.state).toBe('done');
    expect(results[0]?.outcome?.record.kind).toBe('scheduled');
    // The new version is fresh: nothing is due any more.
    expect(await findDue(fixture.store, fixture.clock)).toEqual([]);
  });

  it('reports a due credential with an active rotation instead of starting another', async () => {
    fixture = await createRotationFixture({ mint: 'human' });
    await fixture.store.updateCredential('openai/ticketing/dev', { policy: { rotateEveryDays: 1 } });
    fixture.clock.advance(2 * DAY);
    const paused = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test' });
    const results = await runDue({ store: fixture.store, executor: fixture.executor, clock: fixture.clock }, { actor: 'scheduler' });
    expect(results).toEqual([{ credential: 'openai/ticketing/dev', outcome: null, error: `rotation ${paused.rotationId} is still awaiting-value`, skipped: true }]);
  });

  it('rolls out stage by stage with a soak, and a failed stage stops the later ones', async () => {
    fixture = await createRotationFixture({ consumer: false });
    await addCredential('openai/ticketing/staging', 'staging');
    const prod = await addCredential('openai/ticketing/prod', 'production');
    const staging = await fixture.store.getCredential('openai/ticketing/staging');
    if (staging === undefined) throw new Error('missing');
    await fixture.store.addConsumer({ credentialId: staging.id, name: 'broken', kind: 'env-file', config: { path: join(fixture.directory, 'missing', '.env'), name: 'K' }, reload: null });

    const started = fixture.clock.now().getTime();
    const result = await runStaged(
      { executor: fixture.executor, clock: fixture.clock },
      { stages: stageCredentials('openai/ticketing', ['dev', 'staging', 'prod']), soakSeconds: 600, actor: 'cli:test', graceQuietSeconds: 5 },
    );
    expect(result.ok).toBe(false);
    expect(result.stages.map((stage) => [stage.stage, stage.state])).toEqual([
      ['dev', 'done'],
      ['staging', 'hold'],
      ['prod', 'skipped'],
    ]);
    expect(result.stages[1]?.reason).toContain('broken');
    expect(fixture.clock.now().getTime() - started).toBeGreaterThanOrEqual(600_000);
    expect((await fixture.store.listVersions(prod.id)).map((version) => version.stage)).toEqual(['current']);
  });

  it('stops when the new key fails after the soak', async () => {
    fixture = await createRotationFixture({ consumer: false });
    await addCredential('openai/ticketing/prod', 'production');
    const executor = {
      start: fixture.executor.start,
      checkCurrent: async () => ({ version: 2, liveness: 'dead' as const, reason: 'the key was refused (HTTP 401)' }),
    };
    const result = await runStaged({ executor, clock: fixture.clock }, { stages: stageCredentials('openai/ticketing', ['dev', 'prod']), soakSeconds: 60, actor: 'cli:test', graceQuietSeconds: 5 });
    expect(result.stages.map((stage) => stage.state)).toEqual(['soak-failed', 'skipped']);
  });
});
