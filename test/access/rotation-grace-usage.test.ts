/**
 * The rotation engine's grace step reading this package's usage reports: while an SDK
 * still checks in with traffic on the old version, the old key is not revoked; once it
 * goes quiet, the rotation revokes it and finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRotationUsageSources } from '../../src/access/rotation-usage-sources.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createManualClock, type Clock } from '../../src/core/clock.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { seedCredential } from '../helpers/credential-seed.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/graceful/prod';
/** How long, in the rotation's time, the legacy process keeps using the old key after the promote. */
const TRAFFIC_AFTER_PROMOTE_MS = 5_000;
let emulator: RunningEmulator;
let fixture: KeyFixture;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 51 });
  fixture = await createKeyFixture();
});
afterAll(async () => {
  await fixture.close();
  await emulator.close();
});

describe('grace on observed SDK traffic', () => {
  it('keeps the old key alive while an SDK reports using it, then revokes it once quiet', async () => {
    const project = await emulator.seedOpenAIProject('graceful');
    const { credential } = await seedCredential(fixture, { name: NAME, value: project.key, providerKeyId: project.keyId, scope: { project: project.projectId }, environment: 'prod' });
    const { store } = fixture;

    // The rotation's time moves only when it waits. A legacy process still on version 1
    // checks in with traffic at every wait, until 5 s (rotation time) after the promote.
    const manual = createManualClock(new Date());
    let promotedAt: number | undefined;
    let lastCheckIn: Date | undefined;
    let liveWhenTrafficStopped: boolean | undefined;
    const clock: Clock = {
      now: () => manual.now(),
      async sleep(milliseconds) {
        manual.advance(milliseconds);
        if (liveWhenTrafficStopped === undefined) {
          if (promotedAt === undefined && (await store.getVersionByStage(credential.id, 'current'))?.number === 2) promotedAt = manual.now().getTime();
          if (promotedAt !== undefined && manual.now().getTime() - promotedAt >= TRAFFIC_AFTER_PROMOTE_MS) {
            liveWhenTrafficStopped = emulator.isKeyLive(project.key.reveal());
          } else {
            lastCheckIn = manual.now();
            await store.recordUsage([{ credentialId: credential.id, versionNumber: 1, source: 'sdk', consumer: 'legacy-app/pod-7', at: lastCheckIn, requests: 3, status2xx: 0, status4xx: 0, status5xx: 0, inputTokens: 0, outputTokens: 0 }]);
          }
        }
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
    const executor = createRotationExecutor({
      store,
      vault: fixture.vault,
      audit: createAuditLog({ store, clock }),
      providers: { resolve: () => createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl }) },
      sinks: {
        create: async () => { throw new Error('no consumers in this test'); },
        reloadAction: () => { throw new Error('no consumers in this test'); },
      },
      clock,
      usageSources: createRotationUsageSources({ reports: store, clock, resolutionSeconds: { sdk: 1 } }),
      settings: { gracePollMinMs: 100, gracePollMaxMs: 200, testTimeoutMs: 20_000, revokeConfirmTimeoutMs: 20_000 },
    });

    const outcome = await executor.start({ credential: NAME, actor: 'test', graceQuietSeconds: 1, graceMaxSeconds: 120 });
    expect(outcome.state).toBe('done');
    expect(liveWhenTrafficStopped).toBe(true);
    const revoked = (await store.listAudit({ credential: NAME })).find((event) => event.event === 'key-revoke');
    expect(revoked).toBeDefined();
    // Revoked only after a quiet second following the legacy process's last check-in.
    expect((revoked?.at.getTime() ?? 0) - (lastCheckIn?.getTime() ?? Infinity)).toBeGreaterThanOrEqual(1_000);
    expect(emulator.isKeyLive(project.key.reveal())).toBe(false);
    expect((await store.getVersion(credential.id, 1))?.stage).toBe('revoked');
  }, 90_000);
});
