/**
 * A CI job's OIDC token exchanged for a short session (issue 11, OIDC for machines): the
 * token is verified (`workload-identity.ts`), then the job gets `rk_wls_<id>_<secret>`,
 * good for 15 minutes and never refreshed (the job presents a fresh OIDC token instead).
 * Only the SHA-256 of the session token is stored, and the row carries a MAC, so a row
 * written by SQL opens nothing. Every request re-reads the session and the identity:
 * removing the identity, or revoking the session, ends it at once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WorkloadIdentityRecord, WorkloadSessionRecord } from '../store/identity-store-types.js';
import type { TeamDeps } from './team-deps.js';
import { createWorkloadVerifier, workloadIdentityMacFields, type WorkloadVerifierDeps } from './workload-identity.js';

export const WORKLOAD_SESSION_SECONDS = 15 * 60;

const TOKEN_PATTERN = /^rk_wls_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export function looksLikeWorkloadSessionToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const DUMMY_HASH = hashToken(`rk_wls_${'0'.repeat(16)}_${'A'.repeat(43)}`);

export function workloadSessionMacFields(session: Pick<WorkloadSessionRecord, 'id' | 'identity' | 'subject' | 'expiresAt'>, tokenHash: Buffer): Record<string, unknown> {
  return { id: session.id, identity: session.identity, subject: session.subject, expiresAt: session.expiresAt.toISOString(), tokenHash: tokenHash.toString('hex') };
}

export type WorkloadExchangeDeps = WorkloadVerifierDeps & Pick<TeamDeps, 'store' | 'audit' | 'clock' | 'integrity'> & { sessionSeconds?: number | undefined };

export interface WorkloadExchange {
  /** The OIDC token → a session token (shown once) for `workload:<identity>`; a refused token throws a PolicyError (audited). */
  exchange(oidcToken: string, source: string): Promise<{ token: string; session: WorkloadSessionRecord; identity: WorkloadIdentityRecord }>;
}

export function createWorkloadExchange(deps: WorkloadExchangeDeps): WorkloadExchange {
  const verifier = createWorkloadVerifier(deps);
  return {
    async exchange(oidcToken, source) {
      const verified = await verifier.verify(oidcToken);
      const now = deps.clock.now();
      const id = randomBytes(12).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 16);
      const token = `rk_wls_${id}_${randomBytes(32).toString('base64url')}`;
      const tokenHash = hashToken(token);
      const draft = { id: `wls_${id}`, identity: verified.identity.name, subject: verified.subject.slice(0, 300), createdAt: now, expiresAt: new Date(now.getTime() + (deps.sessionSeconds ?? WORKLOAD_SESSION_SECONDS) * 1000), source: source.slice(0, 100) };
      const session = await deps.store.createWorkloadSession({ ...draft, mac: deps.integrity?.tag('workload_sessions', workloadSessionMacFields(draft, tokenHash)) ?? null }, tokenHash);
      await deps.audit.record({
        event: 'session-login', actor: verified.principal.name, credential: null, fingerprint: null, outcome: 'ok',
        detail: { kind: 'workload', session: session.id, identity: session.identity, subject: session.subject, source, expiresAt: session.expiresAt.toISOString() },
      });
      return { token, session, identity: verified.identity };
    },
  };
}

export type WorkloadSessionCheck =
  | { ok: true; session: WorkloadSessionRecord; identity: WorkloadIdentityRecord }
  | { ok: false; reason: string };

/** The live workload session `presented` is, re-read with its identity on every call. */
export async function checkWorkloadSession(deps: Pick<TeamDeps, 'store' | 'clock' | 'integrity'>, presented: string): Promise<WorkloadSessionCheck> {
  const match = TOKEN_PATTERN.exec(presented);
  if (match === null) return { ok: false, reason: 'not a workload session token' };
  const found = await deps.store.findWorkloadSession(`wls_${match[1] ?? ''}`);
  const actual = hashToken(presented);
  const expected = found?.tokenHash ?? DUMMY_HASH;
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!equal || found === undefined) return { ok: false, reason: 'unknown session' };
  const { session } = found;
  if (deps.integrity !== undefined && !deps.integrity.check('workload_sessions', workloadSessionMacFields(session, found.tokenHash), session.mac)) {
    return { ok: false, reason: 'the session record fails its integrity check' };
  }
  if (session.revokedAt !== null) return { ok: false, reason: 'the session was ended' };
  if (deps.clock.now().getTime() >= session.expiresAt.getTime()) return { ok: false, reason: 'the session expired (workload sessions last 15 minutes; exchange a fresh OIDC token)' };
  const identity = (await deps.store.listWorkloadIdentities()).find((item) => item.name === session.identity);
  if (identity === undefined) return { ok: false, reason: `the workload identity ${session.identity} was removed` };
  if (deps.integrity !== undefined && !deps.integrity.check('workload_identities', workloadIdentityMacFields(identity), identity.mac)) {
    return { ok: false, reason: `the workload identity ${session.identity} fails its integrity check` };
  }
  return { ok: true, session, identity };
}
