/**
 * The rotation engine on PostgreSQL: the same executor, leases and journal on the other
 * store (one throwaway database per file, one schema per test).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { openStore } from '../../src/store/open-store.js';
import { withPostgresDatabase, type PostgresTestDatabase } from '../store/postgres-fixture.js';
import { createRotationFixture, type RotationFixture } from './rotation-fixture.js';

withPostgresDatabase('rotation engine [postgres]', (database: () => PostgresTestDatabase) => {
  describe('rotation engine [postgres]', () => {
    let fixture: RotationFixture;
    afterEach(async () => {
      await fixture.close();
    });

    async function openPostgres(now: () => Date) {
      const schema = `r_${randomBytes(5).toString('hex')}`;
      const client = new pg.Client({ connectionString: database().url() });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await client.end();
      }
      const store = await openStore({ databaseUrl: database().url(schema), sqlitePath: '/nonexistent/unused.db', now });
      await store.migrate();
      return store;
    }

    it('rotates end to end, holds on traffic and resumes [postgres]', async () => {
      fixture = await createRotationFixture({ openStore: openPostgres });
      const done = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test', graceQuietSeconds: 5 });
      expect(done.state).toBe('done');
      expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'current' });
      expect(await fixture.orphans()).toEqual([]);

      fixture.fake.knobs.trafficOnUsagePoll = true;
      const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test', graceQuietSeconds: 5, graceMaxSeconds: 20 });
      expect(held.state).toBe('hold');
      fixture.fake.knobs.trafficOnUsagePoll = false;
      expect((await fixture.executor.resume(held.rotationId)).state).toBe('done');
      expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'revoked', 3: 'current' });
    });

    it('lets exactly one of two workers start a rotation of the same credential [postgres]', async () => {
      fixture = await createRotationFixture({ openStore: openPostgres, mint: 'human' });
      const one = createRotationExecutor(fixture.deps('one'));
      const two = createRotationExecutor(fixture.deps('two'));
      const results = await Promise.allSettled([
        one.start({ credential: 'openai/ticketing/dev', actor: 'cli:one' }),
        two.start({ credential: 'openai/ticketing/dev', actor: 'cli:two' }),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected');
      expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      expect(await fixture.store.listRotations({})).toHaveLength(1);
    });

    it('rolls back after promote [postgres]', async () => {
      fixture = await createRotationFixture({ openStore: openPostgres });
      fixture.fake.knobs.trafficOnUsagePoll = true;
      const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test', graceQuietSeconds: 5, graceMaxSeconds: 20 });
      const rolled = await fixture.executor.decide(held.rotationId, 'rollback', 'cli:test');
      expect(rolled.state).toBe('rolled-back');
      expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'discarded' });
      expect(await fixture.envVariable('OPENAI_API_KEY')).toBe(fixture.firstValue.reveal());
    });
  });
});
