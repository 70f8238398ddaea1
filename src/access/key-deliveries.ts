/**
 * Key deliveries to applications (issue 11 item 8): each time `rekey serve` hands a key
 * version to a read token it is counted in the store (`key_deliveries`, migration 11), the
 * first delivery of each version to each token is audited as `key-deliver`, and this
 * process's counts feed `/metrics`. Names, ids and version numbers only, never a key.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { AccessToken, Credential } from '../core/types.js';
import type { Store } from '../store/store.js';

export interface KeyDeliveries {
  record(token: AccessToken, credential: Credential, version: number): Promise<void>;
  /** Prometheus text: `rekey_key_deliveries_total{credential,version,token}` since this process started. */
  metricsText(): string;
}

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createKeyDeliveries(deps: { store: Pick<Store, 'recordKeyDelivery'>; audit?: Pick<AuditLog, 'record'> | undefined; now: () => Date }): KeyDeliveries {
  const counts = new Map<string, { credential: string; version: number; token: string; count: number }>();
  return {
    async record(token, credential, version) {
      const { first } = await deps.store.recordKeyDelivery({ tokenId: token.id, credentialId: credential.id, version, at: deps.now() });
      const key = `${credential.name}\n${version}\n${token.name}`;
      const entry = counts.get(key) ?? { credential: credential.name, version, token: token.name, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
      if (first) {
        await deps.audit?.record({ event: 'key-deliver', actor: `token:${token.name}`, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { tokenId: token.id, token: token.name, version } });
      }
    },
    metricsText() {
      const lines = ['# HELP rekey_key_deliveries_total Key versions handed to applications by credential, version and read token.', '# TYPE rekey_key_deliveries_total counter'];
      for (const entry of counts.values()) {
        lines.push(`rekey_key_deliveries_total{credential="${label(entry.credential)}",version="${entry.version}",token="${label(entry.token)}"} ${entry.count}`);
      }
      return lines.join('\n') + '\n';
    },
  };
}
