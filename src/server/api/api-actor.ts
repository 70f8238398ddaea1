/**
 * Who is acting on a management API call: the person, their session and where the call
 * came from. Services get `name` as their actor and `audit`, which writes `via` (session,
 * source address, MFA method, approval id) into every event the call records, so the
 * audit log names the real actor of every change.
 */
import type { AuditLog } from '../../audit/audit-log.js';
import type { WorkloadIdentityRecord, WorkloadSessionRecord } from '../../store/identity-store-types.js';
import type { SessionRecord } from '../../store/team-store-types.js';
import type { AccessSubject } from '../../team/access-control.js';

export interface ActorVia {
  session: string;
  source: string;
  /** How MFA was passed in this session (login or step-up), if it was. */
  mfa: string | null;
  /** The two-person approval the action runs under, if any. */
  approval: string | null;
}

export interface ApiActor {
  /** `user:<name>` (or `workload:<identity>`), what services record as the actor. */
  name: string;
  /** The person (with what their session adds: IdP groups), or the workload as a record built from its identity. */
  user: AccessSubject;
  /** Set when a CI job acts through a workload session: the identity's name. */
  workload?: string | undefined;
  session: SessionRecord;
  via: ActorVia;
  audit: Pick<AuditLog, 'record'>;
}

export function createApiActor(base: Pick<AuditLog, 'record'>, user: AccessSubject, session: SessionRecord, source: string): ApiActor {
  const via: ActorVia = { session: session.id, source, mfa: session.mfaMethod, approval: null };
  return {
    name: `user:${user.name}`,
    user,
    session,
    via,
    audit: { record: (input) => base.record({ ...input, detail: { ...input.detail, via: { ...via } } }) },
  };
}

/**
 * The actor of a workload session: `workload:<identity>` in the identity's groups, with no
 * MFA (a step-up capability on a production credential stays refused to it), seen by the
 * services as a session of that name.
 */
export function createWorkloadActor(base: Pick<AuditLog, 'record'>, identity: WorkloadIdentityRecord, session: WorkloadSessionRecord, now: Date, source: string): ApiActor {
  const name = `workload:${identity.name}`;
  const user: AccessSubject = {
    id: name, name, displayName: null, passwordHash: null, groups: [], status: 'active', totpSealed: null, totpConfirmed: false, totpLastStep: null,
    createdAt: identity.createdAt, createdBy: identity.createdBy, disabledAt: null, mac: null,
    sessionGrants: { groups: identity.groups, mfa: false, workload: true },
  };
  const asSession: SessionRecord = {
    id: session.id, userId: name, createdAt: session.createdAt, lastSeenAt: now, expiresAt: session.expiresAt,
    idleSeconds: Math.max(1, Math.round((session.expiresAt.getTime() - session.createdAt.getTime()) / 1000)), mfaAt: null, mfaMethod: null, source: session.source, revokedAt: null, mac: session.mac,
  };
  const actor = createApiActor(base, user, asSession, source);
  return { ...actor, name, workload: identity.name };
}
