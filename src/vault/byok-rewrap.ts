/**
 * The master-key rotation's part for bring-your-own-key tenants (issue 20): every tenant's
 * data key is re-wrapped under the next master key in streaming batches (keyset pages of
 * tenants, one transaction per batch), written beside the current wrap. Only after the
 * rotation committed are the next wraps made primary (`promoteByokWraps`), so a crash at any
 * point leaves every tenant readable under whichever master key the store ends up with.
 * The end users' values are untouched: they are sealed under the tenant's data key.
 */
import { IntegrityError } from '../core/errors.js';
import type { TenantWrapper } from '../crypto/tenant-keys.js';
import type { Store } from '../store/store.js';

export interface ByokRewrapResult {
  /** Tenants whose data key is now also wrapped under the next master key. */
  tenants: number;
  /** Purged tenants (no data key left to wrap). */
  purged: number;
  batches: number;
}

export async function rewrapByokTenants(
  store: Pick<Store, 'listByokTenants' | 'setByokNextWraps'>,
  from: TenantWrapper,
  to: TenantWrapper,
  options: { batchSize?: number } = {},
): Promise<ByokRewrapResult> {
  const batchSize = options.batchSize ?? 500;
  const result: ByokRewrapResult = { tenants: 0, purged: 0, batches: 0 };
  let afterId: string | undefined;
  for (;;) {
    const page = await store.listByokTenants({ afterId, limit: batchSize });
    if (page.length === 0) break;
    const items: Array<{ id: string; wrappedKey: Buffer; masterKeyId: string }> = [];
    for (const tenant of page) {
      if (tenant.wrappedKey === null) {
        result.purged += 1;
        continue;
      }
      const wrapped = tenant.masterKeyId === from.masterKeyId ? tenant.wrappedKey
        : tenant.nextMasterKeyId === from.masterKeyId ? tenant.nextWrappedKey
          : null;
      if (wrapped === null) {
        throw new IntegrityError(`BYOK tenant ${tenant.id} is wrapped under master key ${tenant.masterKeyId ?? '?'}, not the loaded ${from.masterKeyId}; nothing was changed for it`);
      }
      items.push({ id: tenant.id, wrappedKey: to.rewrap(tenant.id, wrapped, from), masterKeyId: to.masterKeyId });
    }
    await store.setByokNextWraps(items);
    result.tenants += items.length;
    result.batches += 1;
    afterId = page.at(-1)?.id;
  }
  return result;
}
