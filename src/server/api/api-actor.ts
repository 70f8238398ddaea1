/**
 * Who is acting on a management API call: the person, their session and where the call
 * came from. Services get `name` as their actor and `audit`, which writes `via` (session,
 * source address, MFA method, approval id) into every event the call records, so the
 * audit log names the real actor of every change.
 */
import type { AuditLog } from '../../audit/audit-log.js';
import type { SessionRecord, UserRecord } from '../../store/team-store-types.js';

export interface ActorVia {
  session: string;
  source: string;
  /** How MFA was passed in this session (login or step-up), if it was. */
  mfa: string | null;
  /** The two-person approval the action runs under, if any. */
  approval: string | null;
}

export interface ApiActor {
  /** `user:<name>`, what services record as the actor. */
  name: string;
  user: UserRecord;
  session: SessionRecord;
  via: ActorVia;
  audit: Pick<AuditLog, 'record'>;
}

export function createApiActor(base: Pick<AuditLog, 'record'>, user: UserRecord, session: SessionRecord, source: string): ApiActor {
  const via: ActorVia = { session: session.id, source, mfa: session.mfaMethod, approval: null };
  return {
    name: `user:${user.name}`,
    user,
    session,
    via,
    audit: { record: (input) => base.record({ ...input, detail: { ...input.detail, via: { ...via } } }) },
  };
}
