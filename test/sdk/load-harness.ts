/**
 * Shared by the load tests: a paced load of official `openai` clients, back-to-back
 * rotations done by hand the way the rotation engine does them (mint at the emulator →
 * pending → promote → grace → revoke at the emulator → mark revoked), and percentiles.
 * Everything runs on loopback. These in-process runs are short and check correctness;
 * bench/proxy/load-main.ts is the full multi-process run that produces the figures.
 */
import OpenAI from 'openai';
import type { RunningEmulator } from '../../src/emulator/emulator.js';
import type { KeyFixture } from '../helpers/key-fixture.js';

export { percentile, runLoad, type LoadResult } from '../../bench/proxy/load-generator.js';

export interface RotationDriver {
  /** One full rotation; resolves after the old key is dead at the emulator. */
  rotate(): Promise<{ version: number; promotedAt: number }>;
  rotations: number;
}

/**
 * Rotations as the engine does them, by hand: mint a key at the emulator (a new project
 * service account), store it pending, promote, keep the old key alive for `graceMilliseconds`,
 * then revoke it at the emulator and mark it revoked. `onPromote` runs right before promote.
 */
export function createRotationDriver(options: {
  fixture: KeyFixture;
  emulator: RunningEmulator;
  credential: string;
  first: { projectId: string; serviceAccountId: string };
  graceMilliseconds: number;
  onPromote?: (version: number) => void;
}): RotationDriver {
  const { fixture, emulator, credential } = options;
  const admin = new OpenAI({ apiKey: null, adminAPIKey: emulator.adminKeys.openai.reveal(), baseURL: emulator.openaiBaseUrl, maxRetries: 2 });
  let live = options.first;
  const driver: RotationDriver = {
    rotations: 0,
    async rotate() {
      const minted = await emulator.seedOpenAIProject(`${credential.replace(/\//g, '-')}-r${driver.rotations + 1}`);
      const stored = await fixture.store.getCredential(credential);
      if (stored === undefined) throw new Error('no credential');
      const current = await fixture.store.getVersionByStage(stored.id, 'current');
      const { SecretValue } = await import('../../src/core/secret-value.js');
      const pending = await fixture.vault.putVersion({ credential: stored, value: new SecretValue(minted.key.reveal()), stage: 'pending', providerKeyId: minted.keyId, mintedBy: 'load-test' });
      options.onPromote?.(pending.number);
      const promotedAt = performance.now();
      await fixture.store.promote(stored.id, pending.number, { expectedCurrent: current?.number ?? null });
      await new Promise((resolve) => setTimeout(resolve, options.graceMilliseconds));
      await admin.admin.organization.projects.serviceAccounts.delete(live.serviceAccountId, { project_id: live.projectId });
      if (current !== undefined) await fixture.store.setVersionStage(stored.id, current.number, 'previous', 'revoked');
      live = minted;
      driver.rotations += 1;
      return { version: pending.number, promotedAt };
    },
  };
  return driver;
}
