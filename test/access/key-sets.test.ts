import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { createKeySets } from '../../src/access/key-sets.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

let fixture: KeyFixture;
beforeEach(async () => {
  fixture = await createKeyFixture();
  await fixture.addCredential('openai/a/prod', 'sk-proj-one-aaaaaaaaaaaaaaaa');
});
afterEach(async () => {
  await fixture.close();
});

describe('key sets', () => {
  it('does not lose a change notified while a load that read the old stages is still running', async () => {
    let gate: (() => void) | undefined;
    const store: Pick<Store, 'getCredential' | 'getVersionByStage'> = {
      getCredential: (name) => fixture.store.getCredential(name),
      async getVersionByStage(credentialId, stage) {
        const version = await fixture.store.getVersionByStage(credentialId, stage);
        if (gate === undefined && stage === 'previous' && held) await new Promise<void>((resolve) => (gate = resolve));
        return version;
      },
    };
    let held = false;
    const keySets = createKeySets({ store, vault: fixture.vault, pollIntervalMilliseconds: 3_600_000 });
    try {
      await keySets.get('openai/a/prod');
      held = true;
      const slowRefresh = keySets.refresh('openai/a/prod'); // reads the old stages, then waits at the gate
      while (gate === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      await fixture.rotate('openai/a/prod', 'sk-proj-two-bbbbbbbbbbbbbbbb');
      const notified = keySets.refresh('openai/a/prod'); // the NOTIFY for the promote
      gate();
      await Promise.all([slowRefresh, notified]);
      expect((await keySets.get('openai/a/prod')).keys.map((key) => key.version)).toEqual([2, 1]);
    } finally {
      keySets.close();
    }
  });

  it('notices a promote by polling, and forgets a removed credential', async () => {
    const keySets = createKeySets({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 10 });
    try {
      const first = await keySets.get('openai/a/prod');
      const changed = keySets.waitForChange('openai/a/prod', first.tag, 20_000);
      await fixture.rotate('openai/a/prod', 'sk-proj-two-bbbbbbbbbbbbbbbb');
      expect((await changed).keys.map((key) => [key.version, key.stage])).toEqual([[2, 'current'], [1, 'previous']]);
      await fixture.store.removeCredential('openai/a/prod');
      await keySets.refresh();
      await expect(keySets.get('openai/a/prod')).rejects.toThrow(/does not exist/);
    } finally {
      keySets.close();
    }
  });
});
