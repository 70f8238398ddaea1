/**
 * Joins provider key ids with rekey's credentials: which credential (and version stage) a
 * provider key id belongs to, its owner and environment. Loaded once per command from
 * the store (metadata only; no value is opened), then looked up per row.
 */
import type { ProviderKind, Stage } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { Row } from './admin-query.js';

export interface KeyJoin {
  credential: string;
  owner: string | null;
  environment: string;
  stage: Stage;
  version: number;
  /** The credential's provider-side scope (`{project: …}`, `{workspace: …}`). */
  scope: Record<string, string>;
}

export type KeyJoins = ReadonlyMap<string, KeyJoin>;

export const JOIN_COLUMNS = ['credential', 'credential_owner', 'environment'] as const;

const joinKey = (provider: string, providerKeyId: string) => `${provider}:${providerKeyId}`;

/** Every version with a provider key id, by `provider:id` (a revoked version is kept, so old usage still has a name). */
export async function loadKeyJoins(store: Pick<Store, 'listCredentials' | 'listVersions'>): Promise<Map<string, KeyJoin>> {
  const joins = new Map<string, KeyJoin>();
  for (const credential of await store.listCredentials()) {
    for (const version of await store.listVersions(credential.id)) {
      if (version.providerKeyId === null) continue;
      const key = joinKey(credential.provider, version.providerKeyId);
      const existing = joins.get(key);
      if (existing !== undefined && existing.version > version.number) continue;
      joins.set(key, { credential: credential.name, owner: credential.owner, environment: credential.environment, stage: version.stage, version: version.number, scope: credential.scope });
    }
  }
  return joins;
}

export function findJoin(joins: KeyJoins, provider: ProviderKind | string, providerKeyId: string | null | undefined): KeyJoin | undefined {
  return providerKeyId === null || providerKeyId === undefined || providerKeyId === '' ? undefined : joins.get(joinKey(provider, providerKeyId));
}

/** The row with `credential`, `credential_owner` and `environment` next to the key id in `keyColumn`. */
export function joinRow(row: Row, provider: string, joins: KeyJoins, keyColumn = 'api_key_id'): Row {
  const value = row[keyColumn];
  const join = findJoin(joins, provider, typeof value === 'string' ? value : null);
  const unmanaged = typeof value === 'string' && value !== '' ? '(unmanaged)' : null;
  return { ...row, credential: join?.credential ?? unmanaged, credential_owner: join?.owner ?? null, environment: join?.environment ?? null };
}
