/**
 * What the management API routes use, as one named object (STYLE.md §4): the store, the
 * vault, the audit log, the clock, the rotation executor, the access control and the
 * session settings. `rekey serve` composes it; tests build it over a scratch store.
 */
import type { ByokService } from '../../byok/byok-service.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../core/clock.js';
import type { Credential } from '../../core/types.js';
import type { Envelope } from '../../crypto/envelope.js';
import type { RotationExecutor } from '../../rotation/rotation-executor.js';
import type { Store } from '../../store/store.js';
import { credentialTarget, type AccessControl } from '../../team/access-control.js';
import type { AuthorizationTarget } from '../../team/authorize.js';
import type { SessionDeps } from '../../team/session-service.js';
import type { RowIntegrity } from '../../team/team-deps.js';
import type { WebauthnConfig } from '../../team/webauthn-service.js';
import type { Vault } from '../../vault/vault.js';
import type { ActionGate } from '../middleware/require-capability/require-capability.js';

export interface ApiServices {
  store: Store;
  vault: Vault;
  audit: AuditLog;
  clock: Clock;
  /** The rotation engine, recording its audit events through `audit` (the acting person's). */
  rotations(audit: Pick<AuditLog, 'record'>): Promise<RotationExecutor>;
  /** The install's fingerprint salt (sinks are validated with it before a consumer is stored). */
  fingerprintSalt: Buffer;
  access: AccessControl;
  integrity?: RowIntegrity | undefined;
  sessions?: Pick<SessionDeps, 'lifetimes' | 'secondFactor'> | undefined;
  /** What MFA enrolment and approval links need: the envelope that seals TOTP secrets and the link-signing key. */
  team?: { envelope: Envelope; linkKey: Buffer } | undefined;
  /** The relying party passkeys are bound to (from serve's --public-url); absent: no passkeys. */
  webauthn?: WebauthnConfig | undefined;
  /** Step-up MFA, approvals: checks after the role check (`requireCapability`). */
  gates?: readonly ActionGate[] | undefined;
  /** Bring-your-own-key (issue 20): the five calls and the service-token check of their routes. */
  byok?: { service: ByokService; verifyToken(presented: string): Promise<{ id: string; name: string; tenants: readonly string[] } | undefined> } | undefined;
}

/**
 * The authorization target of credential `name`: its stored attributes, or, when there is
 * no such credential, what its name says (so that a caller without the capability gets
 * 403 whether or not it exists: no probing).
 */
export async function credentialTargetNamed(store: Pick<Store, 'getCredential'>, name: string): Promise<AuthorizationTarget> {
  const credential = await store.getCredential(name);
  if (credential !== undefined) return credentialTarget(credential);
  return { kind: 'credential', name, environment: name.split('/').at(-1) ?? '', provider: '', ownerTeam: null };
}

export function targetOf(credential: Pick<Credential, 'name' | 'environment' | 'provider' | 'tags'>): AuthorizationTarget {
  return credentialTarget(credential);
}

/** The credentials on which `actor` holds `capability` (for list routes, which filter instead of refusing). */
export async function visibleTo<T extends Pick<Credential, 'name' | 'environment' | 'provider' | 'tags'>>(
  services: Pick<ApiServices, 'access'>,
  user: Parameters<AccessControl['check']>[0],
  items: readonly T[],
  capability: Parameters<AccessControl['check']>[1] = 'read-metadata',
): Promise<T[]> {
  const allowed: T[] = [];
  for (const item of items) if ((await services.access.check(user, capability, targetOf(item))).allowed) allowed.push(item);
  return allowed;
}
