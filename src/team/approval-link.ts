/**
 * Signed one-time approval links, for a notification to carry (e-mail, chat): the token
 * names one request, one approver and one decision, expires, and carries a random nonce
 * that the store accepts once. It is signed with HMAC-SHA-256 under a key derived from the
 * master key (HKDF), so nobody can forge one from the database alone. Possessing the link
 * is the approver's proof, as with a chat button: send it to that approver only.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { PolicyError } from '../core/errors.js';
import type { ApprovalDecisionKind, ApprovalRequestRecord } from '../store/approval-store-types.js';
import { decideApproval } from './approval-service.js';
import type { TeamDeps } from './team-deps.js';

export interface ApprovalLinkClaims {
  requestId: string;
  approver: string;
  decision: ApprovalDecisionKind;
  expiresAt: Date;
  nonce: string;
}

export function approvalLinkKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'rekey approval links v1', 32));
}

function sign(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/** `<payload>.<signature>`, both base64url: safe in a URL path. */
export function signApprovalLink(key: Buffer, claims: Omit<ApprovalLinkClaims, 'nonce'>): string {
  const payload = Buffer.from(
    JSON.stringify({ r: claims.requestId, a: claims.approver, d: claims.decision, e: Math.floor(claims.expiresAt.getTime() / 1000), n: randomBytes(16).toString('base64url') }),
  ).toString('base64url');
  return `${payload}.${sign(key, payload).toString('base64url')}`;
}

/** The claims of a token whose signature holds and that has not expired at `now`; a PolicyError otherwise. */
export function readApprovalLink(key: Buffer, token: string, now: Date): ApprovalLinkClaims {
  const [payload, signature, ...rest] = token.split('.');
  if (payload === undefined || signature === undefined || rest.length > 0) throw new PolicyError('this approval link is malformed');
  const expected = sign(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new PolicyError('this approval link is not signed by this install');
  const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { r: string; a: string; d: string; e: number; n: string };
  if (body.d !== 'approve' && body.d !== 'deny') throw new PolicyError('this approval link names no decision');
  const expiresAt = new Date(body.e * 1000);
  if (now.getTime() > expiresAt.getTime()) throw new PolicyError(`this approval link expired at ${expiresAt.toISOString()}`);
  return { requestId: body.r, approver: body.a, decision: body.d, expiresAt, nonce: body.n };
}

/** Links for each decision, expiring with the request (or sooner). */
export function approvalLinksFor(key: Buffer, request: ApprovalRequestRecord, approver: string, expiresAt = request.expiresAt): Record<ApprovalDecisionKind, string> {
  const at = new Date(Math.min(expiresAt.getTime(), request.expiresAt.getTime()));
  return {
    approve: signApprovalLink(key, { requestId: request.id, approver, decision: 'approve', expiresAt: at }),
    deny: signApprovalLink(key, { requestId: request.id, approver, decision: 'deny', expiresAt: at }),
  };
}

/** Verifies the token, spends its nonce (a replay is refused), and records the decision it carries. */
export async function redeemApprovalLink(deps: TeamDeps & { linkKey: Buffer }, token: string): Promise<ApprovalRequestRecord> {
  let claims: ApprovalLinkClaims;
  try {
    claims = readApprovalLink(deps.linkKey, token, deps.clock.now());
  } catch (error) {
    await deps.audit.record({ event: 'approval-link', actor: 'link:unverified', credential: null, fingerprint: null, outcome: 'error', detail: { reason: error instanceof Error ? error.message : 'unreadable' } });
    throw error;
  }
  if (!(await deps.store.useApprovalLinkNonce(claims.nonce, claims.requestId, deps.clock.now()))) {
    await deps.audit.record({ event: 'approval-link', actor: `user:${claims.approver}`, credential: null, fingerprint: null, outcome: 'error', detail: { request: claims.requestId, reason: 'link used before' } });
    throw new PolicyError('this approval link was used already; each link works once');
  }
  return decideApproval(deps, { requestId: claims.requestId, approver: claims.approver, decision: claims.decision, via: 'link' });
}
