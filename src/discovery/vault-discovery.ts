/** Vault KV v2: list paths under a mount (and optional prefix) and check every string field. */
import { requireSecureUrl } from '../sinks/sink-credentials.js';
import { createSinkHttp, encodePath } from '../sinks/sink-http.js';
import { proposalName, type DiscoveryFinding, type DiscoverySource } from './discovery-spec.js';

export interface VaultDiscoveryOptions {
  address: string;
  token: string;
  mount?: string | undefined;
  prefix?: string | undefined;
  /** Stop after reading this many secrets. Default 2,000. */
  maxSecrets?: number | undefined;
}

export function createVaultDiscoverySource(options: VaultDiscoveryOptions): DiscoverySource {
  const mount = options.mount ?? 'secret';
  requireSecureUrl(options.address, 'Vault discovery: the address');
  const http = createSinkHttp({ sink: 'vault-kv', label: `vault ${mount}`, baseUrl: options.address, headers: { 'x-vault-token': options.token } });
  const maxSecrets = options.maxSecrets ?? 2000;

  const list = async (folder: string): Promise<string[]> => {
    const response = await http.request({ method: 'GET', path: `/v1/${encodePath(mount)}/metadata/${encodePath(folder)}${folder === '' ? '' : '/'}?list=true`, accept: [404], action: `list ${folder || '/'}` });
    const keys = (response.body as { data?: { keys?: unknown } } | undefined)?.data?.keys;
    return response.status === 404 || !Array.isArray(keys) ? [] : keys.filter((key): key is string => typeof key === 'string');
  };

  return {
    name: 'vault',
    async discover(target) {
      const findings: DiscoveryFinding[] = [];
      const pending = [(options.prefix ?? '').replace(/^\/+|\/+$/g, '')];
      let read = 0;
      while (pending.length > 0 && read < maxSecrets) {
        const folder = pending.shift() ?? '';
        for (const key of await list(folder)) {
          const path = folder === '' ? key : `${folder}/${key}`;
          if (key.endsWith('/')) {
            pending.push(path.replace(/\/+$/, ''));
            continue;
          }
          read += 1;
          const response = await http.request({ method: 'GET', path: `/v1/${encodePath(mount)}/data/${encodePath(path)}`, accept: [404], action: `read ${path}` });
          const data = (response.body as { data?: { data?: unknown } } | undefined)?.data?.data;
          if (response.status === 404 || typeof data !== 'object' || data === null) continue;
          for (const [field, value] of Object.entries(data)) {
            if (typeof value !== 'string' || !target.matches(value) || /_V\d+$/.test(field)) continue;
            findings.push({
              source: 'vault',
              status: 'match',
              location: `vault ${mount}/${path} (field ${field})`,
              proposal: { name: proposalName('vault', path), kind: 'vault-kv', config: { address: options.address, mount, path, name: field } },
              notes: [],
            });
          }
        }
      }
      return findings;
    },
  };
}
