/**
 * Row MACs for the store's own power-granting rows (issue 11): access tokens, consumers
 * (sink options and reload actions) and policy settings. `sealStore` wraps a Store so that
 * every write of such a row carries its MAC and every read checks it; callers (serve, the
 * proxy, rotations, the CLI) get the wrapped store from the composition root and need no
 * change. A row whose MAC fails is refused and reported through `onTampered`:
 *
 * - a token is as good as absent (401);
 * - reading a credential's consumers throws an IntegrityError naming the row, so no sink is
 *   written and no reload runs (a rotation holds instead of delivering to an intruder's
 *   exec command); updating a tampered consumer is refused too (remove it, add it again);
 * - a tampered policy setting throws an IntegrityError when read.
 *
 * The team's rows (users, roles, bindings) are checked by src/team with the same
 * `RowIntegrity`. `inspectSealedRows` and `sealAllRows` serve `rekey doctor`.
 */
import { IntegrityError } from '../core/errors.js';
import type { AccessToken, Consumer } from '../core/types.js';
import type { RowIntegrity } from '../crypto/integrity-keys.js';
import type { SealedTable, Store } from '../store/store.js';
import { RETENTION_SETTING } from './retention.js';

/** Settings that relax or tighten policy: `governance.document` is policy/desired-state.ts's GOVERNANCE_SETTING. */
export const SEALED_SETTINGS: readonly string[] = ['governance.document', RETENTION_SETTING];

export function tokenMacFields(token: AccessToken, hash: Buffer): Record<string, unknown> {
  return {
    id: token.id,
    kind: token.kind,
    name: token.name,
    hash: hash.toString('base64'),
    credentials: token.credentials,
    credentialIds: token.credentialIds,
    allowedModels: token.allowedModels,
    allowedEndpoints: token.allowedEndpoints ?? [],
    expiresAt: token.expiresAt,
    cidrs: token.cidrs,
    revokedAt: token.revokedAt,
  };
}

export function consumerMacFields(consumer: Pick<Consumer, 'credentialId' | 'name' | 'kind' | 'config' | 'reload'>): Record<string, unknown> {
  return { credentialId: consumer.credentialId, name: consumer.name, kind: consumer.kind, config: consumer.config, reload: consumer.reload };
}

export function settingMacFields(key: string, value: string): Record<string, unknown> {
  return { key, value };
}

/** One row that failed its check, named for people: `access_tokens abc123`, `consumers openai/app/prod app-env`. */
export interface TamperedRow {
  table: SealedTable;
  row: string;
}

export type TamperReporter = (row: TamperedRow) => void;

export function sealStore(store: Store, integrity: RowIntegrity, onTampered: TamperReporter): Store {
  const tokenIntact = (found: { token: AccessToken; hash: Buffer; mac: string | null }) => {
    const ok = integrity.check('access_tokens', tokenMacFields(found.token, found.hash), found.mac);
    if (!ok) onTampered({ table: 'access_tokens', row: found.token.id });
    return ok;
  };

  async function intactConsumers(credentialId: string): Promise<Consumer[]> {
    const consumers = await store.listConsumers(credentialId);
    const tampered = consumers.filter((consumer) => !integrity.check('consumers', consumerMacFields(consumer), consumer.mac));
    if (tampered.length > 0) {
      const credential = (await store.getCredentialById(credentialId))?.name ?? credentialId;
      for (const consumer of tampered) onTampered({ table: 'consumers', row: `${credential} ${consumer.name}` });
      throw new IntegrityError(`consumer ${tampered.map((consumer) => consumer.name).join(', ')} of ${credential} fails its integrity check: it was written outside rekey, so nothing is delivered to it`, {
        hint: `check it with rekey doctor, then remove it (rekey consumer remove ${credential} <name>) and add it again if it is yours`,
      });
    }
    return consumers;
  }

  return {
    ...store,

    async insertAccessToken(token, hash) {
      return store.insertAccessToken(token, hash, integrity.tag('access_tokens', tokenMacFields({ ...token, revokedAt: null }, hash)));
    },
    async findAccessToken(id) {
      const found = await store.findAccessToken(id);
      return found === undefined || !tokenIntact(found) ? undefined : found;
    },
    async listAccessTokens(filter) {
      const tokens = await store.listAccessTokens(filter);
      const intact: AccessToken[] = [];
      for (const token of tokens) {
        const found = await store.findAccessToken(token.id);
        if (found !== undefined && tokenIntact(found)) intact.push(token);
      }
      return intact;
    },
    // Revoking only takes power away: a tampered row may be revoked, and is sealed as revoked.
    revokeAccessToken: (idOrName, at) => store.revokeAccessToken(idOrName, at, (row, hash) => integrity.tag('access_tokens', tokenMacFields(row, hash))),

    async addConsumer(input) {
      return store.addConsumer({ ...input, mac: integrity.tag('consumers', consumerMacFields(input)) });
    },
    listConsumers: intactConsumers,
    async updateConsumer(credentialId, name, patch) {
      const existing = (await intactConsumers(credentialId)).find((consumer) => consumer.name === name);
      if (existing === undefined) return store.updateConsumer(credentialId, name, {});
      const next = { ...existing, config: patch.config ?? existing.config, reload: patch.reload === undefined ? existing.reload : patch.reload };
      return store.updateConsumer(credentialId, name, { config: next.config, reload: next.reload, mac: integrity.tag('consumers', consumerMacFields(next)) });
    },

    async getSetting(key) {
      if (!SEALED_SETTINGS.includes(key)) return store.getSetting(key);
      const row = await store.getSettingRow(key);
      if (row === undefined) return undefined;
      if (!integrity.check('settings', settingMacFields(key, row.value), row.mac)) {
        onTampered({ table: 'settings', row: key });
        throw new IntegrityError(`the ${key} setting fails its integrity check: it was written outside rekey`, { hint: 'set it again with the rekey command that owns it (rekey apply, rekey retention set)' });
      }
      return row.value;
    },
    async setSetting(key, value) {
      const mac = SEALED_SETTINGS.includes(key) ? integrity.tag('settings', settingMacFields(key, value)) : null;
      return store.setSetting(key, value, mac);
    },
  };
}

/** Every token, consumer and policy setting whose MAC fails (read from the unwrapped store). */
export async function inspectSealedRows(store: Store, integrity: RowIntegrity): Promise<TamperedRow[]> {
  const tampered: TamperedRow[] = [];
  for (const token of await store.listAccessTokens({ includeRevoked: true })) {
    const found = await store.findAccessToken(token.id);
    if (found !== undefined && !integrity.check('access_tokens', tokenMacFields(found.token, found.hash), found.mac)) tampered.push({ table: 'access_tokens', row: token.id });
  }
  for (const credential of await store.listCredentials()) {
    for (const consumer of await store.listConsumers(credential.id)) {
      if (!integrity.check('consumers', consumerMacFields(consumer), consumer.mac)) tampered.push({ table: 'consumers', row: `${credential.name} ${consumer.name}` });
    }
  }
  for (const key of SEALED_SETTINGS) {
    const row = await store.getSettingRow(key);
    if (row !== undefined && !integrity.check('settings', settingMacFields(key, row.value), row.mac)) tampered.push({ table: 'settings', row: key });
  }
  return tampered;
}

/** Seals every token, consumer and policy setting as it is now (upgrading an install from before issue 11). Returns counts per table. */
export async function sealAllRows(store: Store, integrity: RowIntegrity): Promise<Partial<Record<SealedTable, number>>> {
  const counts: Partial<Record<SealedTable, number>> = { access_tokens: 0, consumers: 0, settings: 0 };
  for (const token of await store.listAccessTokens({ includeRevoked: true })) {
    const found = await store.findAccessToken(token.id);
    if (found === undefined) continue;
    await store.setRowMac('access_tokens', token.id, integrity.tag('access_tokens', tokenMacFields(found.token, found.hash)));
    counts.access_tokens = (counts.access_tokens ?? 0) + 1;
  }
  for (const credential of await store.listCredentials()) {
    for (const consumer of await store.listConsumers(credential.id)) {
      await store.setRowMac('consumers', [consumer.credentialId, consumer.name], integrity.tag('consumers', consumerMacFields(consumer)));
      counts.consumers = (counts.consumers ?? 0) + 1;
    }
  }
  for (const key of SEALED_SETTINGS) {
    const row = await store.getSettingRow(key);
    if (row === undefined) continue;
    await store.setRowMac('settings', key, integrity.tag('settings', settingMacFields(key, row.value)));
    counts.settings = (counts.settings ?? 0) + 1;
  }
  return counts;
}
