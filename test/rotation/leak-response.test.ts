import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { respondToLeak, type LeakReport } from '../../src/rotation/leak-response.js';
import { createRotationFixture, type RotationFixture } from './rotation-fixture.js';

const actor = 'scan:test';

describe('respondToLeak', () => {
  let fixture: RotationFixture;
  afterEach(async () => {
    await fixture.close();
  });

  const deps = () => ({ store: fixture.store, executor: fixture.executor, audit: fixture.audit, clock: fixture.clock });
  const report = (fingerprint: string, extra: Partial<LeakReport> = {}): LeakReport => ({ fingerprint, foundAt: fixture.clock.now(), actor, where: 'src/app.ts:3', ...extra });
  const fingerprintOf = async (number: number) => (await fixture.store.getVersion(fixture.credential.id, number))?.fingerprint ?? '';

  it('rotates a leaked current key as an emergency and reports the time from finding to dead', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const [response] = await respondToLeak(deps(), report(await fingerprintOf(1)));
    expect(response).toMatchObject({ credential: 'openai/ticketing/dev', version: 1, stage: 'current', action: 'emergency-rotation', reason: null });
    expect(response?.secondsFromFindingToDead).toBeGreaterThanOrEqual(0);
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    expect(fixture.audit.events.at(-1)).toMatchObject({ event: 'leak-response', outcome: 'ok', detail: { action: 'emergency-rotation', where: 'src/app.ts:3' } });
  });

  it('ends the grace of a held rotation when its old key leaks', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test', graceQuietSeconds: 10, graceMaxSeconds: 60 });
    expect(held.state).toBe('hold');
    const [response] = await respondToLeak(deps(), report(await fingerprintOf(1)));
    expect(response).toMatchObject({ stage: 'previous', action: 'grace-ended', rotationId: held.rotationId });
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    expect(await fixture.stages()).toEqual({ 1: 'revoked', 2: 'current' });
  });

  it('asks a rotation running in another worker to end its grace, and waits for the revoke', async () => {
    fixture = await createRotationFixture();
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const running = fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test', graceQuietSeconds: 60, graceMaxSeconds: 10_000_000 });
    for (let attempt = 0; attempt < 500 && (await fixture.store.listRotations({}))[0]?.state !== 'grace'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [response] = await respondToLeak(deps(), report(await fingerprintOf(1)));
    expect(response).toMatchObject({ stage: 'previous', action: 'grace-ended' });
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(false);
    expect((await running).state).toBe('done');
    expect(fixture.audit.names()).toContain('rotation-request');
  });

  it('aborts a rotation whose pending key leaked, revoking that key', async () => {
    fixture = await createRotationFixture({ consumer: false });
    await fixture.store.addConsumer({ credentialId: fixture.credential.id, name: 'broken', kind: 'env-file', config: { path: join(fixture.directory, 'missing', '.env'), name: 'K' }, reload: null });
    const held = await fixture.executor.start({ credential: 'openai/ticketing/dev', actor: 'cli:test' });
    expect(held.hold?.resumeTo).toBe('deliver');
    const [response] = await respondToLeak(deps(), report(await fingerprintOf(2)));
    expect(response).toMatchObject({ stage: 'pending', action: 'pending-discarded' });
    expect(await fixture.stages()).toEqual({ 1: 'current', 2: 'discarded' });
    expect(fixture.fake.liveKeys().map((key) => key.value)).toEqual([fixture.firstValue.reveal()]);
  });

  it('only reports when the policy says alert, unless forced; dead and unknown keys need nothing', async () => {
    fixture = await createRotationFixture();
    await fixture.store.updateCredential('openai/ticketing/dev', { policy: { onLeak: 'alert' } });
    const leaked = await fingerprintOf(1);
    expect((await respondToLeak(deps(), report(leaked)))[0]).toMatchObject({ action: 'alert-only' });
    expect(fixture.fake.isLive(fixture.firstValue.reveal())).toBe(true);
    expect((await respondToLeak(deps(), report(leaked, { force: true })))[0]).toMatchObject({ action: 'emergency-rotation' });
    expect((await respondToLeak(deps(), report(leaked)))[0]).toMatchObject({ stage: 'revoked', action: 'already-dead' });
    expect(await respondToLeak(deps(), report('ab'.repeat(32)))).toEqual([]);
  });
});
