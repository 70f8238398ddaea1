/**
 * The row MAC of a session (issue 11 item 9): what a session grants — whose it is, its
 * token hash, its lifetimes and last activity, its MFA proof and its revocation — under the
 * install's row-MAC key, so a session row written by SQL grants nothing. The session
 * service seals every row it writes; the user service and step-up pass `sessionResealer`
 * to the store when they change sessions.
 */
import type { SessionRecord, SessionResealer } from '../store/team-store-types.js';
import type { RowIntegrity } from './team-deps.js';

export function sessionMacFields(session: Omit<SessionRecord, 'mac' | 'source'>, tokenHash: Buffer): Record<string, unknown> {
  const time = (value: Date | null) => value?.toISOString() ?? null;
  return {
    id: session.id,
    userId: session.userId,
    tokenHash: tokenHash.toString('base64'),
    createdAt: time(session.createdAt),
    lastSeenAt: time(session.lastSeenAt),
    expiresAt: time(session.expiresAt),
    idleSeconds: session.idleSeconds,
    mfaAt: time(session.mfaAt),
    mfaMethod: session.mfaMethod,
    revokedAt: time(session.revokedAt),
  };
}

/** What the store calls to re-MAC a session row it changes (undefined on an unsealed install: the MAC stays null). */
export function sessionResealer(integrity: RowIntegrity | undefined): SessionResealer | undefined {
  return integrity === undefined ? undefined : (session, tokenHash) => integrity.tag('sessions', sessionMacFields(session, tokenHash));
}

/** Whether a stored session row is as rekey wrote it (always, on an unsealed install). */
export function sessionIntact(integrity: RowIntegrity | undefined, session: SessionRecord, tokenHash: Buffer): boolean {
  return integrity === undefined || integrity.check('sessions', sessionMacFields(session, tokenHash), session.mac);
}

