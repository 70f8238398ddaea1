/**
 * OIDC workload identity for machines (issue 11 item 1): a CI job presents the OIDC token
 * its platform issued (a GitHub Actions token, a GitLab job token…). rekey verifies it
 * against the issuer's JWKS (discovered from `/.well-known/openid-configuration`, with
 * jose), checks issuer, audience, expiry and every bound claim of a configured identity
 * (globs, e.g. `repository: acme/app`, `ref: refs/heads/main`), and the job then acts as
 * that identity, with its groups: role bindings to those groups are what it may do.
 * A token matching no identity, or more than one, is refused.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { PolicyError, UsageError } from '../core/errors.js';
import type { WorkloadIdentityRecord } from '../store/identity-store-types.js';
import type { Principal } from './authorize.js';
import { globMatches } from './scope-match.js';
import type { TeamDeps } from './team-deps.js';
import { checkGroupName } from './user-service.js';

const IDENTITY_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

export function workloadIdentityMacFields(identity: Pick<WorkloadIdentityRecord, 'name' | 'issuer' | 'audience' | 'boundClaims' | 'groups'>): Record<string, unknown> {
  return { name: identity.name, issuer: identity.issuer, audience: identity.audience, boundClaims: identity.boundClaims, groups: [...identity.groups].sort() };
}

export interface SaveWorkloadIdentityInput {
  name: string;
  issuer: string;
  audience: string;
  boundClaims: Record<string, string>;
  groups: readonly string[];
}

export async function saveWorkloadIdentity(deps: TeamDeps, input: SaveWorkloadIdentityInput): Promise<WorkloadIdentityRecord> {
  if (!IDENTITY_NAME.test(input.name)) throw new UsageError(`workload identity name "${input.name.slice(0, 60)}" must be 1-48 characters of a-z, 0-9 and -, starting with a letter`);
  let issuer: URL;
  try {
    issuer = new URL(input.issuer);
  } catch {
    throw new UsageError(`issuer "${input.issuer.slice(0, 100)}" is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && loopback)) throw new UsageError(`issuer ${issuer.origin} must be https (http only on loopback)`);
  if (Object.keys(input.boundClaims).length === 0) throw new UsageError('a workload identity needs at least one bound claim (e.g. repository), or any job of the issuer would match');
  for (const [claim, pattern] of Object.entries(input.boundClaims)) {
    if (!CLAIM_NAME.test(claim) || pattern === '' || pattern.length > 200) throw new UsageError(`bound claim ${claim.slice(0, 60)}=${pattern.slice(0, 60)} is not a claim name and a non-empty glob`);
  }
  const draft = { name: input.name, issuer: input.issuer.replace(/\/+$/, ''), audience: input.audience, boundClaims: { ...input.boundClaims }, groups: [...new Set(input.groups.map(checkGroupName))].sort() };
  const saved = await deps.store.saveWorkloadIdentity({ ...draft, createdAt: deps.clock.now(), createdBy: deps.actor, mac: deps.integrity?.tag('workload_identities', workloadIdentityMacFields(draft)) ?? null });
  await deps.audit.record({ event: 'workload-identity-save', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { identity: saved.name, issuer: saved.issuer, audience: saved.audience, boundClaims: saved.boundClaims, groups: saved.groups } });
  return saved;
}

/** Removes an identity; its live sessions end with it (audited). */
export async function removeWorkloadIdentity(deps: TeamDeps, name: string): Promise<{ sessionsEnded: number }> {
  await deps.store.removeWorkloadIdentity(name);
  const sessionsEnded = await deps.store.revokeWorkloadSessions(name, deps.clock.now());
  await deps.audit.record({ event: 'workload-identity-remove', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { identity: name, sessionsEnded } });
  return { sessionsEnded };
}

function claimText(payload: JWTPayload, claim: string): string | null {
  const value = payload[claim];
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
}

export interface WorkloadSession {
  identity: WorkloadIdentityRecord;
  /** For `authorize`: the identity as a principal named `workload:<name>` in its groups. */
  principal: Principal;
  subject: string;
  expiresAt: Date;
}

export interface WorkloadVerifierDeps extends Pick<TeamDeps, 'store' | 'audit' | 'clock' | 'integrity'> {
  /** How long a discovered JWKS is trusted before it is fetched again (jose caches keys per URL). */
  jwksCacheSeconds?: number | undefined;
}

/** A verifier that keeps one remote JWKS per issuer. */
export function createWorkloadVerifier(deps: WorkloadVerifierDeps): { verify(token: string): Promise<WorkloadSession> } {
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  async function keySetOf(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const known = keySets.get(issuer);
    if (known !== undefined) return known;
    const response = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new PolicyError(`the issuer ${issuer} did not serve its OpenID configuration (HTTP ${response.status})`);
    const configuration = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (configuration.issuer !== issuer || typeof configuration.jwks_uri !== 'string') throw new PolicyError(`the OpenID configuration of ${issuer} names another issuer or no jwks_uri`);
    const keySet = createRemoteJWKSet(new URL(configuration.jwks_uri), { cacheMaxAge: (deps.jwksCacheSeconds ?? 600) * 1000 });
    keySets.set(issuer, keySet);
    return keySet;
  }
  const refuse = async (reason: string, detail: Record<string, unknown> = {}): Promise<never> => {
    await deps.audit.record({ event: 'workload-login', actor: 'workload:unverified', credential: null, fingerprint: null, outcome: 'error', detail: { reason, ...detail } });
    throw new PolicyError(`workload token refused: ${reason}`);
  };
  return {
    async verify(token) {
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(token);
      } catch {
        return refuse('not a JWT');
      }
      const issuer = typeof unverified.iss === 'string' ? unverified.iss.replace(/\/+$/, '') : '';
      const candidates = (await deps.store.listWorkloadIdentities({ issuer })).filter(
        (identity) => deps.integrity === undefined || deps.integrity.check('workload_identities', workloadIdentityMacFields(identity), identity.mac),
      );
      if (candidates.length === 0) return refuse(`no workload identity trusts issuer ${issuer.slice(0, 200) || '(none)'}`);
      const verified: Array<{ audience: string; payload: JWTPayload }> = [];
      for (const audience of new Set(candidates.map((identity) => identity.audience))) {
        try {
          verified.push({ audience, payload: (await jwtVerify(token, await keySetOf(issuer), { issuer: unverified.iss as string, audience, currentDate: deps.clock.now() })).payload });
        } catch (error) {
          if (error instanceof PolicyError) throw error;
        }
      }
      if (verified.length === 0) return refuse('signature, audience or expiry does not hold', { issuer });
      const matching = candidates.filter((identity) => {
        const payload = verified.find((item) => item.audience === identity.audience)?.payload;
        return payload !== undefined && Object.entries(identity.boundClaims).every(([claim, pattern]) => {
          const value = claimText(payload, claim);
          return value !== null && globMatches(pattern, value);
        });
      });
      const [identity, ...others] = matching;
      if (identity === undefined) return refuse('no workload identity binds these claims', { issuer });
      if (others.length > 0) return refuse(`the token matches ${matching.length} identities (${matching.map((item) => item.name).join(', ')}); narrow their bound claims`, { issuer });
      const payload = verified.find((item) => item.audience === identity.audience)?.payload ?? {};
      const session: WorkloadSession = {
        identity,
        principal: { name: `workload:${identity.name}`, groups: identity.groups, active: true, mfaEnrolled: false },
        subject: typeof payload.sub === 'string' ? payload.sub : '',
        expiresAt: new Date((payload.exp ?? 0) * 1000),
      };
      await deps.audit.record({
        event: 'workload-login', actor: session.principal.name, credential: null, fingerprint: null, outcome: 'ok',
        detail: { identity: identity.name, issuer, subject: session.subject.slice(0, 200), claims: Object.fromEntries(Object.keys(identity.boundClaims).map((claim) => [claim, claimText(payload, claim)])) },
      });
      return session;
    },
  };
}
