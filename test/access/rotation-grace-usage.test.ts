/**
 * The rotation engine's grace step reading this package's usage reports: while an SDK
 * still checks in with traffic on the old version, the old key is not revoked; once it
 * goes quiet, the rotation revokes it and finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { systemClock } from '../../src/core/clock.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { createRotationUsageSources } from '../../src/access/rotation-usage-sources.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/graceful/prod';
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
    const credential = await fixture.store.createCredential({
      name: NAME, provider: 'openai', scope: { project: project.projectId }, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy: {},
    });
    await fixture.vault.putVersion({ credential, value: new SecretValue(project.key.reveal()), stage: 'current', providerKeyId: project.keyId, mintedBy: 'test' });
    const usage = fixture.store;
    const executor = createRotationExecutor({
      store: fixture.store,
      vault: fixture.vault,
      audit: createAuditLog({ store: fixture.store, clock: systemClock }),
      providers: { resolve: () => createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl }) },
      sinks: {
        create: async () => { throw new Error('no consumers in this test'); },
        reloadAction: () => { throw new Error('no consumers in this test'); },
      },
      clock: systemClock,
      usageSources: createRotationUsageSources({ reports: usage, clock: systemClock, resolutionSeconds: { sdk: 1 } }),
      settings: { gracePollMinMs: 100, gracePollMaxMs: 200, testTimeoutMs: 20_000, revokeConfirmTimeoutMs: 20_000 },
    });

    // A legacy process still on version 1 checks in with traffic every 100 ms.
    let legacyActive = true;
    const legacy = (async () => {
      while (legacyActive) {
        await usage.recordUsage([{ credentialId: credential.id, versionNumber: 1, source: 'sdk', consumer: 'legacy-app/pod-7', at: new Date(), requests: 3, status2xx: 0, status4xx: 0, status5xx: 0, inputTokens: 0, outputTokens: 0 }]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    let finished = false;
    const rotation = executor.start({ credential: NAME, actor: 'test', graceQuietSeconds: 1, graceMaxSeconds: 120 }).finally(() => {
      finished = true;
    });
    // Wait until the new version is current (the rotation is in grace), then 3 s more.
    for (let waited = 0; (await fixture.store.getVersionByStage(credential.id, 'current'))?.number !== 2; waited += 50) {
      if (waited > 30_000) throw new Error('the rotation never promoted');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(finished).toBe(false);
    expect(emulator.isKeyLive(project.key.reveal())).toBe(true);

    legacyActive = false;
    await legacy;
    const outcome = await rotation;
    expect(outcome.state).toBe('done');
    expect(emulator.isKeyLive(project.key.reveal())).toBe(false);
    expect((await fixture.store.getVersion(credential.id, 1))?.stage).toBe('revoked');
  }, 90_000);
});
