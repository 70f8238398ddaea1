/**
 * After a fleet run: does the provider agree with the store? Every key alive at the
 * emulator must be known to the store as a `current` version, or as the pending/previous
 * version of a rotation that has not finished (no orphan); every credential has exactly
 * one `current` version whose key works; every old key of a finished rotation is dead;
 * every consumer's env file holds the current key and no longer holds the old one.
 */
import type { EmulatedKeySummary } from '../../src/emulator/emulator.js';
import type { BenchWorld, SeededCredential } from './bench-world.js';

export interface FleetCheck {
  /** Non-admin OpenAI keys the emulator lists with status `active`. */
  activeKeysAtProvider: number;
  /** Active keys the store does not know (the figure that must be 0). */
  orphans: number;
  orphanIds: string[];
  credentialsWithExactlyOneCurrent: number;
  credentialsWithoutExactlyOneCurrent: string[];
  /** Current keys the emulator accepts. */
  currentKeysLive: number;
  /** Rotations that ended `done` whose old (seeded) key the emulator still accepts. */
  oldKeysStillLiveAfterDone: string[];
  /** Rotations not `done` (held, failed) whose old key is still live, as it should be. */
  oldKeysLiveInUnfinished: number;
  consumersOnCurrent: number;
  consumersStillHoldingOldSlot: string[];
  /** Version stages across the fleet, e.g. `{ current: 1000, revoked: 1000 }`. */
  stages: Record<string, number>;
  /**
   * The check checked: after counting, one key is created at the emulator behind rekey's
   * back (a user key in the first credential's project) and must be counted as an orphan.
   */
  strayKeyDetected: boolean;
}

export async function checkFleet(world: BenchWorld, seeded: SeededCredential[], doneCredentialIds: Set<string>): Promise<FleetCheck> {
  const { store, vault, emulator } = world;
  const known = new Set<string>();
  const stages: Record<string, number> = {};
  const withoutOneCurrent: string[] = [];
  const oldStillLive: string[] = [];
  const slotsLeft: string[] = [];
  let oneCurrent = 0;
  let currentLive = 0;
  let oldLiveUnfinished = 0;
  let consumersOnCurrent = 0;

  for (const { credential, firstKey, sink } of seeded) {
    const versions = await store.listVersions(credential.id);
    const unfinished = (await store.listRotations({ credentialId: credential.id, active: true })).length > 0;
    for (const version of versions) {
      stages[version.stage] = (stages[version.stage] ?? 0) + 1;
      const counts = version.stage === 'current' || (unfinished && (version.stage === 'pending' || version.stage === 'previous'));
      if (counts && version.providerKeyId !== null) known.add(version.providerKeyId);
    }
    const current = versions.filter((version) => version.stage === 'current');
    if (current.length !== 1 || current[0] === undefined) {
      withoutOneCurrent.push(credential.name);
      continue;
    }
    oneCurrent += 1;
    const currentValue = await vault.reveal(credential, current[0].number);
    if (emulator.isKeyLive(currentValue.reveal())) currentLive += 1;
    const oldLive = emulator.isKeyLive(firstKey.reveal());
    if (doneCredentialIds.has(credential.id)) {
      if (oldLive) oldStillLive.push(credential.name);
    } else if (oldLive) {
      oldLiveUnfinished += 1;
    }
    const main = await sink.readFingerprint('main');
    if (main.state === 'present' && main.fingerprint === current[0].fingerprint) consumersOnCurrent += 1;
    if (doneCredentialIds.has(credential.id) && (await sink.readFingerprint({ version: 1 })).state !== 'absent') slotsLeft.push(credential.name);
  }

  const activeKeys = () => emulator.listAllKeys().filter((key: EmulatedKeySummary) => key.provider === 'openai' && key.kind !== 'admin' && key.status === 'active');
  const orphansAmong = (keys: EmulatedKeySummary[]) => keys.filter((key) => !known.has(key.id)).map((key) => key.id);
  const active = activeKeys();
  const orphanIds = orphansAmong(active);
  let strayKeyDetected = false;
  const project = seeded[0]?.credential.scope['project'];
  if (project !== undefined) {
    const stray = emulator.createOpenAIUserKey(project, 'made outside rekey');
    strayKeyDetected = orphansAmong(activeKeys()).includes(stray.keyId);
  }
  return {
    activeKeysAtProvider: active.length,
    orphans: orphanIds.length,
    orphanIds: orphanIds.slice(0, 20),
    credentialsWithExactlyOneCurrent: oneCurrent,
    credentialsWithoutExactlyOneCurrent: withoutOneCurrent.slice(0, 20),
    currentKeysLive: currentLive,
    oldKeysStillLiveAfterDone: oldStillLive.slice(0, 20),
    oldKeysLiveInUnfinished: oldLiveUnfinished,
    consumersOnCurrent,
    consumersStillHoldingOldSlot: slotsLeft.slice(0, 20),
    stages,
    strayKeyDetected,
  };
}
