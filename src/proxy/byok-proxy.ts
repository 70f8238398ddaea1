/**
 * Bring-your-own-key through the proxy (issue 20), one small hook for proxy-handler.ts:
 * a SaaS application presents its BYOK service token (`rk_byok_…`) with `x-rekey-user:
 * <user reference>` (and `x-rekey-tenant` when the token has several tenants); the hook
 * resolves that user's own key for the route's provider and hands the handler a token and a
 * key set as if they were a virtual token and a credential, so every guard of the request
 * path (endpoint groups, body limit, model checks, error redaction) applies unchanged.
 *
 * Metering: usage rows name credential `byok:<tenant>:<user>` (version 0) and consumer
 * `byok:<tenant>` (or `byok:<tenant>:fallback` for the house credential), so the SaaS tells
 * user spend from house spend. The per-tenant fallback is `none` (403) or a house credential.
 * A 401/402/403/429 from the provider with a user's key is reported (re-check and notice).
 */
import type { KeySet, KeySets } from '../access/key-sets.js';
import type { ByokService } from '../byok/byok-service.js';
import type { AccessToken, ProviderKind } from '../core/types.js';
import type { ByokProvider, ByokTenantRecord } from '../store/byok-store-types.js';

export interface ByokProxyDeps {
  service: ByokService;
  verifyToken(presented: string): Promise<{ id: string; name: string; tenants: readonly string[] } | undefined>;
  tenant(id: string): Promise<ByokTenantRecord | undefined>;
}

export type ByokResolution =
  | { kind: 'refused'; status: 401 | 403; code: string; message: string }
  | { kind: 'resolved'; token: AccessToken; set: KeySet; keyId: string | null; tenant: string; userRef: string; fallback: boolean };

export function isByokToken(presented: string | undefined): presented is string {
  return presented !== undefined && presented.startsWith('rk_byok_');
}

function syntheticToken(id: string, name: string): AccessToken {
  return { id, kind: 'proxy', name, credentials: [], credentialIds: [], expiresAt: null, cidrs: [], allowedModels: [], allowedEndpoints: [], createdAt: new Date(0), createdBy: 'byok', revokedAt: null };
}

export async function resolveByok(deps: ByokProxyDeps, keySets: KeySets, request: Request, presented: string, provider: ProviderKind): Promise<ByokResolution> {
  const token = await deps.verifyToken(presented);
  if (token === undefined) return { kind: 'refused', status: 401, code: 'invalid_byok_token', message: 'a live BYOK service token is required (rk_byok_…)' };
  const userRef = request.headers.get('x-rekey-user') ?? '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(userRef)) return { kind: 'refused', status: 403, code: 'byok_user_required', message: 'a BYOK call names its user in the x-rekey-user header' };
  const asked = request.headers.get('x-rekey-tenant');
  const tenantId = asked ?? (token.tenants.length === 1 ? token.tenants[0] : undefined);
  if (tenantId === undefined || !token.tenants.includes(tenantId)) return { kind: 'refused', status: 403, code: 'byok_tenant_not_allowed', message: asked === null ? 'this BYOK token has several tenants: name one in x-rekey-tenant' : `this BYOK token is not granted tenant ${asked}` };
  const consumer = `byok:${tenantId}`;
  if (provider === 'openai' || provider === 'anthropic' || provider === 'openrouter') {
    try {
      const { key, value } = await deps.service.get(tenantId, { userRef, provider: provider as ByokProvider, label: request.headers.get('x-rekey-label') ?? 'default' });
      if (key.status !== 'invalid') {
        const credential = { id: `byok:${tenantId}:${userRef}`, name: `byok/${tenantId}/${userRef}`, provider, scope: {}, environment: 'byok', owner: null, purpose: null, allowedModels: [], tags: {}, policy: {}, createdAt: new Date(0), updatedAt: new Date(0) };
        const set = { credential, tag: key.id, generation: 0, keys: [{ version: 0, stage: 'current' as const, value, hint: key.hint }] } as unknown as KeySet;
        return { kind: 'resolved', token: syntheticToken(token.id, consumer), set, keyId: key.id, tenant: tenantId, userRef, fallback: false };
      }
    } catch {
      // no key for this user and provider (or not readable): the tenant's fallback decides
    }
  }
  const tenant = await deps.tenant(tenantId);
  const fallback = tenant?.settings.fallback ?? { kind: 'none' as const };
  if (fallback.kind === 'none') return { kind: 'refused', status: 403, code: 'byok_no_user_key', message: `user ${userRef} of tenant ${tenantId} has no usable ${provider} key, and the tenant's fallback is none` };
  const set = await keySets.get(fallback.credential).catch(() => undefined);
  if (set === undefined || set.credential.provider !== provider) return { kind: 'refused', status: 403, code: 'byok_fallback_unavailable', message: `the fallback credential of tenant ${tenantId} is not a live ${provider} credential` };
  return { kind: 'resolved', token: syntheticToken(token.id, `${consumer}:fallback`), set, keyId: null, tenant: tenantId, userRef, fallback: true };
}

/** After the upstream answered: a refused user's key is reported (re-check now, notice the user). */
export async function reportByokStatus(deps: ByokProxyDeps, resolution: Extract<ByokResolution, { kind: 'resolved' }>, status: number): Promise<void> {
  if (resolution.keyId === null || ![401, 402, 403, 429].includes(status)) return;
  await deps.service.reportFailure(resolution.tenant, resolution.keyId, status).catch(() => undefined);
}
