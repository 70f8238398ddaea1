/**
 * Retention policy: a revoked or discarded version keeps its value only for a while. After
 * `shredAfterSeconds` (install-wide, stored in the settings table; default 30 days, 0 = at
 * once) counted from the moment it became revoked or discarded, its data key and
 * ciphertext are destroyed in the store (crypto-shredding: without the data key nothing can
 * open the value, and both are overwritten, with SQLite's `secure_delete` zeroing the freed
 * bytes). Its number, stage, fingerprint, hint, provider key id and dates stay, so the
 * audit trail and `credential versions` still describe it; `credential reveal --version N`
 * says the value was shredded. Each shred is one `version-shred` audit event.
 *
 * Runs from `rekey retention apply`, at the end of `rekey rotate --due`, and on every
 * scheduler tick. A credential with a rotation under way is left for the next run: a
 * resumed rotation may still need its old version's value (to find or confirm the key).
 */
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Stage } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { AuditRecordInput } from '../audit/audit-log.js';

export const RETENTION_SETTING = 'retention.shred-after-seconds';
export const DEFAULT_SHRED_AFTER_SECONDS = 30 * 24 * 60 * 60;
/** Ten years: past that a retention period is a typo, not a policy. */
const MAX_SHRED_AFTER_SECONDS = 10 * 366 * 24 * 60 * 60;

export interface RetentionDependencies {
  store: Pick<Store, 'getSetting' | 'setSetting' | 'listShreddable' | 'shredVersion' | 'getCredentialById' | 'listRotations'>;
  audit: { record(input: AuditRecordInput): Promise<unknown> };
  clock: Clock;
}

export interface RetentionPolicy {
  shredAfterSeconds: number;
  source: 'default' | 'setting';
}

export interface ShredItem {
  credential: string;
  version: number;
  stage: Stage;
  fingerprint: string;
  stageChangedAt: Date;
  /** False in a dry run, when someone else shredded it first, or when `heldBy` names a rotation under way. */
  shredded: boolean;
  heldBy: string | null;
}

export interface RetentionRun {
  shredAfterSeconds: number;
  /** Versions whose stage changed at or before this are shredded. */
  cutoff: Date;
  dryRun: boolean;
  items: ShredItem[];
}

export function validateShredAfterSeconds(seconds: number, where: string): number {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_SHRED_AFTER_SECONDS) {
    throw new ConfigError(`${where} must be from 0 (shred at once) to 10 years, not ${String(seconds)}`);
  }
  return Math.floor(seconds);
}

export async function readRetentionPolicy(store: Pick<Store, 'getSetting'>): Promise<RetentionPolicy> {
  const stored = await store.getSetting(RETENTION_SETTING);
  if (stored === undefined) return { shredAfterSeconds: DEFAULT_SHRED_AFTER_SECONDS, source: 'default' };
  const seconds = Number(stored);
  if (!/^\d+$/.test(stored)) throw new ConfigError(`the stored retention setting "${stored}" is not a number of seconds`, { hint: 'reset it with: rekey retention set 30d' });
  return { shredAfterSeconds: validateShredAfterSeconds(seconds, 'the stored retention setting'), source: 'setting' };
}

export async function setRetentionPolicy(deps: RetentionDependencies, seconds: number, actor: string): Promise<RetentionPolicy> {
  const value = validateShredAfterSeconds(seconds, 'the retention period');
  const before = await readRetentionPolicy(deps.store);
  await deps.store.setSetting(RETENTION_SETTING, String(value));
  await deps.audit.record({
    event: 'retention-set', actor, credential: null, fingerprint: null, outcome: 'ok',
    detail: { shredAfterSeconds: value, previousSeconds: before.shredAfterSeconds },
  });
  return { shredAfterSeconds: value, source: 'setting' };
}

/** Shreds every revoked or discarded version past the retention period (or lists them, with `dryRun`). */
export async function applyRetention(deps: RetentionDependencies, options: { actor: string; dryRun?: boolean }): Promise<RetentionRun> {
  const { shredAfterSeconds } = await readRetentionPolicy(deps.store);
  const cutoff = new Date(deps.clock.now().getTime() - shredAfterSeconds * 1000);
  const dryRun = options.dryRun === true;
  const names = new Map<string, string>();
  const nameOf = async (credentialId: string): Promise<string> => {
    let name = names.get(credentialId);
    if (name === undefined) {
      name = (await deps.store.getCredentialById(credentialId))?.name ?? credentialId;
      names.set(credentialId, name);
    }
    return name;
  };
  const shreddable = await deps.store.listShreddable(cutoff);
  const active = new Map<string, string>();
  if (shreddable.length > 0) for (const rotation of await deps.store.listRotations({ active: true })) active.set(rotation.credentialId, rotation.id);
  const items: ShredItem[] = [];
  for (const version of shreddable) {
    const credential = await nameOf(version.credentialId);
    const heldBy = active.get(version.credentialId) ?? null;
    const item: ShredItem = { credential, version: version.number, stage: version.stage, fingerprint: version.fingerprint, stageChangedAt: version.stageChangedAt, shredded: false, heldBy };
    items.push(item);
    if (dryRun || heldBy !== null) continue;
    const { shredded } = await deps.store.shredVersion(version.credentialId, version.number);
    item.shredded = shredded;
    if (!shredded) continue;
    await deps.audit.record({
      event: 'version-shred', actor: options.actor, credential, fingerprint: version.fingerprint, outcome: 'ok',
      detail: { version: version.number, stage: version.stage, stageChangedAt: version.stageChangedAt.toISOString(), shredAfterSeconds },
    });
  }
  return { shredAfterSeconds, cutoff, dryRun, items };
}
