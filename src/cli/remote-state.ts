/**
 * What the CLI in server mode reads back: the management API's wire shapes turned into
 * the domain objects the commands already print, so server mode prints exactly what local
 * mode prints. A version read over the API carries no sealed value (the API never sends one).
 */
import type { ActionTarget } from '../core/team-types.js';
import type { AccessToken, AuditEvent, Consumer, Credential, CredentialPolicy, VersionRecord } from '../core/types.js';
import type { ApprovalRequestRecord } from '../store/approval-store-types.js';
import type { ApprovalRequestWire, AuditEventWire, ConsumerWire, CredentialWire, TokenWire, VersionWire } from '../server/api/api-schemas.js';

export function credentialFromWire(wire: CredentialWire): Credential {
  return { ...wire, policy: wire.policy as CredentialPolicy, createdAt: new Date(wire.createdAt), updatedAt: new Date(wire.updatedAt) };
}

export function versionFromWire(wire: VersionWire, credentialId: string): VersionRecord {
  return {
    ...wire,
    credentialId,
    createdAt: new Date(wire.createdAt),
    stageChangedAt: new Date(wire.stageChangedAt),
    shreddedAt: wire.shreddedAt === null ? null : new Date(wire.shreddedAt),
    providerData: {},
    sealed: { ciphertext: Buffer.alloc(0), wrappedKey: Buffer.alloc(0), masterKeyId: '' },
  };
}

export function consumerFromWire(wire: ConsumerWire, credentialId: string): Consumer {
  return { ...wire, credentialId, createdAt: new Date(wire.createdAt) };
}

export function tokenFromWire(wire: TokenWire): AccessToken {
  return { ...wire, createdAt: new Date(wire.createdAt), expiresAt: wire.expiresAt === null ? null : new Date(wire.expiresAt), revokedAt: wire.revokedAt === null ? null : new Date(wire.revokedAt) };
}

export function auditEventFromWire(wire: AuditEventWire): AuditEvent {
  return { ...wire, at: new Date(wire.at) };
}

/** `openai/x/prod` → `openai%2Fx%2Fprod` for a path segment. */
export function credentialSegment(name: string): string {
  return encodeURIComponent(name);
}

export function approvalFromWire(wire: ApprovalRequestWire): ApprovalRequestRecord {
  return {
    id: wire.id, policy: wire.policy, capability: wire.capability, target: wire.target as unknown as ActionTarget, parameters: wire.parameters, parametersHash: '', plan: wire.plan, reason: wire.reason,
    requester: wire.requester, approvalsRequired: wire.approvalsRequired, status: wire.status, createdAt: new Date(wire.createdAt), expiresAt: new Date(wire.expiresAt), decidedAt: null, executedAt: null, mac: null,
  };
}
