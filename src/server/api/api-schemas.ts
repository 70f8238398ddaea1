/**
 * The wire shapes of the management API, as zod schemas (validated at the edge, turned
 * into the OpenAPI document), and the functions that put domain objects on the wire.
 * Dates travel as ISO 8601 text. No schema has a field for a ciphertext; a key value
 * appears only in the reveal response.
 */
import { z } from 'zod';
import { CAPABILITIES } from '../../core/team-types.js';
import { ACCESS_TOKEN_KINDS, PROVIDER_KINDS, STAGES, type AccessToken, type AuditEvent, type Consumer, type Credential, type RotationRecord, type VersionRecord } from '../../core/types.js';
import type { ApprovalRequestRecord } from '../../store/approval-store-types.js';
import type { RoleBindingRecord, RoleRecord, UserRecord } from '../../store/team-store-types.js';

const isoTime = z.iso.datetime({ offset: true });
const stringMap = z.record(z.string(), z.string());

export const apiErrorSchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('stable error code: bad-request, unauthorized, forbidden, not-found, conflict, …'),
        message: z.string(),
        hint: z.string().optional(),
        capability: z.enum(CAPABILITIES).optional().describe('403: the capability the call needs'),
        scope: z.string().optional().describe('403: the target it was needed on (a credential name, or install)'),
        held: z.array(z.string()).optional().describe('403: where the caller holds that capability'),
      })
      .loose(),
  })
  .meta({ id: 'Error' });

export const credentialNameParam = z.string().min(1).max(200).describe('the credential name, URL-encoded (openai%2Fticketing%2Fprod)');

export const policySchema = z
  .object({
    rotateEveryDays: z.number().int().positive().optional(),
    maxAgeDays: z.number().int().positive().optional(),
    graceQuietSeconds: z.number().int().min(0).optional(),
    graceMaxSeconds: z.number().int().min(0).optional(),
    onLeak: z.enum(['rotate', 'alert']).optional(),
  })
  .loose()
  .meta({ id: 'CredentialPolicy' });

export const credentialSchema = z
  .object({
    name: z.string(),
    id: z.string(),
    provider: z.enum(PROVIDER_KINDS),
    environment: z.string(),
    scope: stringMap,
    owner: z.string().nullable(),
    purpose: z.string().nullable(),
    allowedModels: z.array(z.string()),
    tags: stringMap,
    policy: policySchema,
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Credential' });
export type CredentialWire = z.infer<typeof credentialSchema>;

export const versionSchema = z
  .object({
    number: z.number().int().positive(),
    stage: z.enum(STAGES),
    hint: z.string(),
    fingerprint: z.string(),
    providerKeyId: z.string().nullable(),
    mintedBy: z.string(),
    createdAt: isoTime,
    stageChangedAt: isoTime,
    shreddedAt: isoTime.nullable(),
  })
  .meta({ id: 'Version' });
export type VersionWire = z.infer<typeof versionSchema>;

export const consumerSchema = z
  .object({ name: z.string(), kind: z.string(), config: z.record(z.string(), z.unknown()), reload: z.record(z.string(), z.unknown()).nullable(), createdAt: isoTime })
  .meta({ id: 'Consumer' });
export type ConsumerWire = z.infer<typeof consumerSchema>;

export const credentialSummarySchema = z.object({ credential: credentialSchema, current: versionSchema.nullable() }).meta({ id: 'CredentialSummary' });
export const credentialDetailSchema = z
  .object({ credential: credentialSchema, versions: z.array(versionSchema), consumers: z.array(consumerSchema) })
  .meta({ id: 'CredentialDetail' });

export function credentialWire(credential: Credential): CredentialWire {
  return {
    name: credential.name,
    id: credential.id,
    provider: credential.provider,
    environment: credential.environment,
    scope: credential.scope,
    owner: credential.owner,
    purpose: credential.purpose,
    allowedModels: credential.allowedModels,
    tags: credential.tags,
    policy: credential.policy as CredentialWire['policy'],
    createdAt: credential.createdAt.toISOString(),
    updatedAt: credential.updatedAt.toISOString(),
  };
}

export function versionWire(version: VersionRecord): VersionWire {
  return {
    number: version.number,
    stage: version.stage,
    hint: version.hint,
    fingerprint: version.fingerprint,
    providerKeyId: version.providerKeyId,
    mintedBy: version.mintedBy,
    createdAt: version.createdAt.toISOString(),
    stageChangedAt: version.stageChangedAt.toISOString(),
    shreddedAt: version.shreddedAt?.toISOString() ?? null,
  };
}

export function consumerWire(consumer: Consumer): ConsumerWire {
  return { name: consumer.name, kind: consumer.kind, config: consumer.config, reload: consumer.reload, createdAt: consumer.createdAt.toISOString() };
}

export const rotationRowSchema = z
  .object({
    rotation: z.string(),
    credential: z.string(),
    kind: z.enum(['manual', 'scheduled', 'emergency', 'drill']),
    state: z.string(),
    error: z.string().nullable(),
    createdAt: isoTime,
    updatedAt: isoTime,
    finishedAt: isoTime.nullable(),
  })
  .meta({ id: 'RotationRow' });
export type RotationRowWire = z.infer<typeof rotationRowSchema>;

export function rotationRowWire(record: RotationRecord, credential: string): RotationRowWire {
  return {
    rotation: record.id,
    credential,
    kind: record.kind,
    state: record.state,
    error: record.error,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
  };
}

export const tokenSchema = z
  .object({
    id: z.string(),
    kind: z.enum(ACCESS_TOKEN_KINDS),
    name: z.string(),
    credentials: z.array(z.string()),
    credentialIds: z.array(z.string()),
    allowedModels: z.array(z.string()),
    allowedEndpoints: z.array(z.string()),
    expiresAt: isoTime.nullable(),
    cidrs: z.array(z.string()),
    createdAt: isoTime,
    createdBy: z.string(),
    revokedAt: isoTime.nullable(),
  })
  .meta({ id: 'AccessToken' });
export type TokenWire = z.infer<typeof tokenSchema>;

export function tokenWire(token: AccessToken): TokenWire {
  return {
    id: token.id,
    kind: token.kind,
    name: token.name,
    credentials: token.credentials,
    credentialIds: token.credentialIds,
    allowedModels: token.allowedModels,
    allowedEndpoints: token.allowedEndpoints ?? [],
    expiresAt: token.expiresAt?.toISOString() ?? null,
    cidrs: token.cidrs,
    createdAt: token.createdAt.toISOString(),
    createdBy: token.createdBy,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

export const auditEventSchema = z
  .object({
    seq: z.number().int().positive(),
    at: isoTime,
    event: z.string(),
    actor: z.string(),
    credential: z.string().nullable(),
    fingerprint: z.string().nullable(),
    outcome: z.enum(['ok', 'error']),
    detail: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .loose()
  .meta({ id: 'AuditEvent' });
export type AuditEventWire = z.infer<typeof auditEventSchema>;

export function auditEventWire(event: AuditEvent): AuditEventWire {
  return { ...event, at: event.at.toISOString() };
}

export const userSchema = z
  .object({
    name: z.string(),
    id: z.string(),
    displayName: z.string().nullable(),
    groups: z.array(z.string()),
    status: z.enum(['active', 'disabled']),
    mfa: z.enum(['none', 'totp']),
    password: z.boolean(),
    createdAt: isoTime,
    createdBy: z.string(),
    disabledAt: isoTime.nullable(),
  })
  .meta({ id: 'User' });
export type UserWire = z.infer<typeof userSchema>;

export function userWire(user: UserRecord): UserWire {
  return {
    name: user.name,
    id: user.id,
    displayName: user.displayName,
    groups: user.groups,
    status: user.status,
    mfa: user.totpSealed !== null && user.totpConfirmed ? 'totp' : 'none',
    password: user.passwordHash !== null,
    createdAt: user.createdAt.toISOString(),
    createdBy: user.createdBy,
    disabledAt: user.disabledAt?.toISOString() ?? null,
  };
}

export const scopeSchema = z
  .object({ credentials: z.string().optional(), environment: z.string().optional(), provider: z.string().optional(), ownerTeam: z.string().optional() })
  .strict()
  .meta({ id: 'Scope' });

export const roleSchema = z
  .object({ name: z.string(), description: z.string(), capabilities: z.array(z.enum(CAPABILITIES)), requireMfa: z.boolean(), builtin: z.boolean(), createdAt: isoTime })
  .meta({ id: 'Role' });
export type RoleWire = z.infer<typeof roleSchema>;

export function roleWire(role: RoleRecord): RoleWire {
  return { name: role.name, description: role.description, capabilities: role.capabilities, requireMfa: role.requireMfa, builtin: role.builtin, createdAt: role.createdAt.toISOString() };
}

export const bindingSchema = z
  .object({ id: z.string(), role: z.string(), subjectKind: z.enum(['user', 'group']), subject: z.string(), scope: scopeSchema, createdAt: isoTime, createdBy: z.string() })
  .meta({ id: 'RoleBinding' });
export type BindingWire = z.infer<typeof bindingSchema>;

export function bindingWire(binding: RoleBindingRecord): BindingWire {
  return { id: binding.id, role: binding.role, subjectKind: binding.subjectKind, subject: binding.subject, scope: binding.scope, createdAt: binding.createdAt.toISOString(), createdBy: binding.createdBy };
}

export const approvalRequestSchema = z.object({
  id: z.string(),
  policy: z.string(),
  capability: z.enum(CAPABILITIES),
  target: z.record(z.string(), z.unknown()).describe('{ kind: install } or { kind: credential, credentialId, name, environment, provider, ownerTeam }'),
  parameters: z.record(z.string(), z.unknown()),
  plan: z.record(z.string(), z.unknown()),
  reason: z.string().nullable(),
  requester: z.string(),
  approvalsRequired: z.number().int(),
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'executed']),
  createdAt: isoTime,
  expiresAt: isoTime,
});
export type ApprovalRequestWire = z.infer<typeof approvalRequestSchema>;

/** A two-person request as `rekey approvals … --json` prints it and the API sends it. */
export function approvalRequestWire(request: ApprovalRequestRecord): ApprovalRequestWire {
  return {
    id: request.id, policy: request.policy, capability: request.capability, target: { ...request.target }, parameters: request.parameters, plan: request.plan, reason: request.reason,
    requester: request.requester, approvalsRequired: request.approvalsRequired, status: request.status, createdAt: request.createdAt.toISOString(), expiresAt: request.expiresAt.toISOString(),
  };
}
