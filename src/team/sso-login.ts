/**
 * OIDC SSO for people (issue 11): authorization code + PKCE (S256) with state and nonce,
 * through openid-client. `start` keeps the state, nonce and PKCE verifier server-side
 * (sealed, single-use, 10 minutes) and answers the IdP's authorization URL; `callback`
 * spends the state, exchanges the code, and has openid-client check the ID token (issuer,
 * audience, expiry on the injected clock, nonce, and its signature against the JWKS).
 *
 * The person is found by (issuer, subject) only — never by email — or provisioned on their
 * first login; a local account that already has the name is not taken over. The groups
 * claim becomes this session's groups (refreshed at every login, never stored on the user).
 * An IdP that asserts MFA (`amr`) counts as MFA for this session; otherwise a role that
 * requires MFA, and step-up, ask for rekey's own TOTP. Every attempt is audited
 * (`sso-login`, ok or error with the reason), never with a code or a token.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { isRekeyError, PolicyError, UsageError } from '../core/errors.js';
import type { Envelope } from '../crypto/envelope.js';
import { openText, sealText } from '../crypto/sealed-text.js';
import type { SsoProviderRecord, UserIdentityRecord } from '../store/identity-store-types.js';
import type { SessionRecord, UserRecord } from '../store/team-store-types.js';
import { openSession, type SessionLifetimes } from './session-service.js';
import { IDP_MFA_PREFIX, sessionClaimsMacFields } from './sso-session.js';
import { openClientSecret, requireSsoProvider } from './sso-provider.js';
import type { TeamDeps } from './team-deps.js';
import { addUser, checkGroupName, userIntact } from './user-service.js';

export const SSO_STATE_SECONDS = 10 * 60;
export const SSO_CODE_SECONDS = 60;
const STATE_KIND = 'sso-state';
const CODE_KIND = 'sso-code';
/** `amr` values that mean more than a password (RFC 8176). */
const MFA_AMR = new Set(['mfa', 'otp', 'hwk', 'swk', 'sc', 'pop', 'fpt', 'face', 'iris', 'retina', 'vbm']);

export type SsoDeps = Pick<TeamDeps, 'store' | 'audit' | 'clock' | 'integrity'> & { envelope: Envelope; lifetimes?: SessionLifetimes | undefined };

export interface SsoStartRequest {
  /** This server's callback URL for the provider (what the IdP redirects the browser to). */
  callbackUrl: string;
  /** CLI login: the loopback URL the one-time code goes to, and the S256 challenge of the CLI's verifier. */
  cli?: { redirect: string; challenge: string } | undefined;
  /** Browser login: the path to land on after sign-in (default /ui/). */
  returnTo?: string | undefined;
}

interface StateData {
  provider: string;
  nonce: string;
  verifier: string;
  callbackUrl: string;
  cli: { redirect: string; challenge: string } | null;
  returnTo: string;
}

export type SsoFinish =
  | { mode: 'browser'; token: string; session: SessionRecord; user: UserRecord; returnTo: string; state: string }
  | { mode: 'cli'; redirect: string };

export class SsoRefusal extends PolicyError {}

function stateSealContext(id: string) {
  return { credentialId: `sso-state:${id}`, version: 0 };
}

function hashOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A CLI redirect must be plain http on loopback with an explicit port (RFC 8252 §7.3). */
export function checkCliRedirect(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('cli_redirect is not a URL');
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname) || url.port === '' || url.username !== '' || url.search !== '' || url.hash !== '') {
    throw new UsageError('cli_redirect must be http://127.0.0.1:<port>/<path> (a loopback listener of the CLI)');
  }
  return url.href;
}

function checkReturnTo(text: string | undefined): string {
  if (text === undefined || text === '') return '/ui/';
  // A path on this server only: no scheme, no host, no backslash tricks.
  if (!text.startsWith('/') || text.startsWith('//') || text.includes('\\') || text.length > 500) throw new UsageError('return_to must be a path on this server, e.g. /ui/');
  return text;
}

export function pkceChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function linkMacFields(link: Pick<UserIdentityRecord, 'issuer' | 'subject' | 'userId'>): Record<string, unknown> {
  return { issuer: link.issuer, subject: link.subject, userId: link.userId };
}

export interface SsoService {
  start(name: string, request: SsoStartRequest): Promise<{ authorizationUrl: string; state: string }>;
  /** `currentUrl`: the callback URL as the browser requested it; `stateCookie`: the browser's state cookie (browser logins). */
  callback(name: string, currentUrl: URL, source: string, stateCookie: string | undefined): Promise<SsoFinish>;
  /** CLI: a one-time code and the verifier of its challenge → the session. */
  exchangeCode(code: string, verifier: string, source: string): Promise<{ token: string; session: SessionRecord; user: UserRecord }>;
}

export function createSsoService(deps: SsoDeps): SsoService {
  const discovered = new Map<string, oidc.ServerMetadata>();
  const audit = (outcome: 'ok' | 'error', actor: string, detail: Record<string, unknown>) =>
    deps.audit.record({ event: 'sso-login', actor, credential: null, fingerprint: null, outcome, detail });

  async function configurationOf(provider: SsoProviderRecord): Promise<oidc.Configuration> {
    const secret = openClientSecret(deps.envelope, provider);
    const insecure = provider.issuer.startsWith('http:');
    let server = discovered.get(provider.name);
    if (server === undefined || server.issuer !== provider.issuer) {
      const found = await oidc.discovery(new URL(provider.issuer), provider.clientId, secret ?? undefined, secret === null ? oidc.None() : undefined, insecure ? { execute: [oidc.allowInsecureRequests], timeout: 5 } : { timeout: 5 });
      server = found.serverMetadata();
      discovered.set(provider.name, server);
    }
    // A fresh configuration per use: its clock follows the injected one (openid-client reads Date.now() minus clockSkew).
    const metadata: Partial<oidc.ClientMetadata> = { [oidc.clockSkew]: Math.round((deps.clock.now().getTime() - Date.now()) / 1000) };
    if (secret !== null) metadata.client_secret = secret;
    const configuration = new oidc.Configuration(server, provider.clientId, metadata, secret === null ? oidc.None() : oidc.ClientSecretPost(secret));
    if (insecure) oidc.allowInsecureRequests(configuration);
    // Check the ID token's signature against the issuer's JWKS too, not only its claims.
    oidc.enableNonRepudiationChecks(configuration);
    return configuration;
  }

  async function personFor(provider: SsoProviderRecord, claims: oidc.IDToken): Promise<{ user: UserRecord; provisioned: boolean }> {
    const issuer = provider.issuer;
    const subject = claims.sub;
    const link = await deps.store.findUserIdentity(issuer, subject);
    if (link !== undefined) {
      if (deps.integrity !== undefined && !deps.integrity.check('user_identities', linkMacFields(link), link.mac)) throw new SsoRefusal('the link of this identity to a user fails its integrity check');
      const user = await deps.store.getUserById(link.userId);
      if (user === undefined || user.status !== 'active' || !userIntact(deps, user)) throw new SsoRefusal('the account is disabled');
      return { user, provisioned: false };
    }
    const email = typeof claims.email === 'string' && claims.email_verified === true ? claims.email.toLowerCase() : undefined;
    const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username.toLowerCase() : undefined;
    const valid = (name: string | undefined) => name !== undefined && /^[a-z0-9][a-z0-9._@-]{0,63}$/.test(name);
    const name = [email, preferred].find(valid) ?? `sso-${provider.name}-${hashOf(`${issuer}\n${subject}`).slice(0, 12)}`;
    if ((await deps.store.getUser(name)) !== undefined) {
      // Never match by email or name: that would let whoever controls an IdP account with that email take over the local one.
      throw new SsoRefusal(`an account named ${name} exists and is not linked to this ${provider.name} identity; an admin must remove or rename it first`);
    }
    const user = await addUser({ ...deps, actor: `sso:${provider.name}` }, { name, displayName: typeof claims.name === 'string' ? claims.name.slice(0, 200) : null, password: null, groups: [] });
    const draft = { issuer, subject, userId: user.id };
    await deps.store.linkUserIdentity({ ...draft, provider: provider.name, createdAt: deps.clock.now(), mac: deps.integrity?.tag('user_identities', linkMacFields(draft)) ?? null });
    return { user, provisioned: true };
  }

  function groupsOf(provider: SsoProviderRecord, claims: oidc.IDToken): string[] {
    const value = claims[provider.groupsClaim];
    const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
    return [...new Set(list.filter((item): item is string => typeof item === 'string').flatMap((item) => {
      try {
        return [checkGroupName(item)];
      } catch {
        return [];
      }
    }))].sort();
  }

  return {
    async start(name, request) {
      const provider = await requireSsoProvider(deps, name);
      const cli = request.cli === undefined ? null : { redirect: checkCliRedirect(request.cli.redirect), challenge: request.cli.challenge };
      if (cli !== null && !/^[A-Za-z0-9_-]{43}$/.test(cli.challenge)) throw new UsageError('cli_challenge must be the S256 challenge (43 base64url characters) of the CLI verifier');
      const configuration = await configurationOf(provider);
      const state = oidc.randomState();
      const data: StateData = { provider: provider.name, nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), callbackUrl: request.callbackUrl, cli, returnTo: checkReturnTo(request.returnTo) };
      const now = deps.clock.now();
      await deps.store.createAuthChallenge({
        id: hashOf(state), kind: STATE_KIND, subject: provider.name, data: sealText(deps.envelope, JSON.stringify(data), stateSealContext(hashOf(state))),
        createdAt: now, expiresAt: new Date(now.getTime() + SSO_STATE_SECONDS * 1000),
      });
      const url = oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: request.callbackUrl,
        response_type: 'code',
        scope: 'openid email profile',
        state,
        nonce: data.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(data.verifier),
        code_challenge_method: 'S256',
      });
      return { authorizationUrl: url.href, state };
    },

    async callback(name, currentUrl, source, stateCookie) {
      const state = currentUrl.searchParams.get('state') ?? '';
      const fail = async (reason: string, detail: Record<string, unknown> = {}): Promise<never> => {
        await audit('error', `sso:${name.slice(0, 48)}`, { provider: name.slice(0, 48), reason, source, ...detail });
        throw new SsoRefusal(`SSO sign-in refused: ${reason}`);
      };
      const idpError = currentUrl.searchParams.get('error');
      if (idpError !== null) return fail(`the IdP answered ${idpError.slice(0, 60)}`);
      if (state === '') return fail('no state');
      const challenge = await deps.store.consumeAuthChallenge(hashOf(state), STATE_KIND, deps.clock.now());
      if (challenge === undefined) return fail('unknown, used or expired state');
      const data = JSON.parse(openText(deps.envelope, challenge.data, stateSealContext(challenge.id), 'the SSO login state')) as StateData;
      if (data.provider !== name) return fail(`the state was issued for provider ${data.provider}`);
      if (data.cli === null && stateCookie !== state) return fail('the state does not belong to this browser (cookie missing or different)');
      let provider: SsoProviderRecord;
      let claims: oidc.IDToken | undefined;
      try {
        provider = await requireSsoProvider(deps, name);
        const configuration = await configurationOf(provider);
        // Hand openid-client the URL registered as redirect_uri, with the parameters the browser brought.
        const callback = new URL(data.callbackUrl);
        callback.search = currentUrl.search;
        const tokens = await oidc.authorizationCodeGrant(configuration, callback, { pkceCodeVerifier: data.verifier, expectedState: state, expectedNonce: data.nonce, idTokenExpected: true });
        claims = tokens.claims();
      } catch (error) {
        const idpCode = (error as { error?: unknown } | null)?.error;
        const reason = isRekeyError(error)
          ? error.message
          : typeof idpCode === 'string'
            ? `the IdP refused the code exchange (${idpCode.slice(0, 60)})`
            : error instanceof Error
              ? `the ID token or the authorization response failed a check (${error.message.slice(0, 200)})`
              : 'the code exchange failed';
        return fail(reason);
      }
      if (claims === undefined) return fail('no ID token');
      const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : '';
      if (provider.allowedDomains.length > 0 && (claims.email_verified !== true || !provider.allowedDomains.includes(email.split('@')[1] ?? ''))) {
        return fail('the email is not verified or not in an allowed domain', { subject: claims.sub });
      }
      let person: { user: UserRecord; provisioned: boolean };
      try {
        person = await personFor(provider, claims);
      } catch (error) {
        if (error instanceof SsoRefusal) return fail(error.message, { subject: claims.sub });
        throw error;
      }
      const groups = groupsOf(provider, claims);
      const amr = Array.isArray(claims.amr) ? claims.amr.filter((item): item is string => typeof item === 'string') : [];
      const mfa = amr.some((item) => MFA_AMR.has(item)) ? `${IDP_MFA_PREFIX}${amr.join('+').slice(0, 40)}` : null;
      const { token, session } = await openSession(deps, person.user, { mfaMethod: mfa, source });
      const claimsDraft = { sessionId: session.id, provider: provider.name, groups };
      await deps.store.setSessionClaims({ ...claimsDraft, mac: deps.integrity?.tag('session_claims', sessionClaimsMacFields(claimsDraft)) ?? null });
      await deps.store.touchUserIdentity(provider.issuer, claims.sub, deps.clock.now());
      await audit('ok', `user:${person.user.name}`, { provider: provider.name, subject: claims.sub, session: session.id, groups, mfa, provisioned: person.provisioned, mode: data.cli === null ? 'browser' : 'cli', source });
      if (data.cli === null) return { mode: 'browser', token, session, user: person.user, returnTo: data.returnTo, state };
      const code = randomBytes(32).toString('base64url');
      const now = deps.clock.now();
      await deps.store.createAuthChallenge({
        id: hashOf(code), kind: CODE_KIND, subject: person.user.id, data: sealText(deps.envelope, JSON.stringify({ token, challenge: data.cli.challenge, session: session.id }), stateSealContext(hashOf(code))),
        createdAt: now, expiresAt: new Date(now.getTime() + SSO_CODE_SECONDS * 1000),
      });
      const redirect = new URL(data.cli.redirect);
      redirect.searchParams.set('code', code);
      return { mode: 'cli', redirect: redirect.href };
    },

    async exchangeCode(code, verifier, source) {
      const refuse = async (reason: string): Promise<never> => {
        await audit('error', 'sso:cli', { reason, source });
        throw new SsoRefusal(`SSO sign-in refused: ${reason}`);
      };
      // Spent on the first try, right verifier or not: a stolen code is good for nothing.
      const challenge = await deps.store.consumeAuthChallenge(hashOf(code), CODE_KIND, deps.clock.now());
      if (challenge === undefined) return refuse('unknown, used or expired one-time code');
      const data = JSON.parse(openText(deps.envelope, challenge.data, stateSealContext(challenge.id), 'the SSO one-time code')) as { token: string; challenge: string; session: string };
      if (pkceChallengeOf(verifier) !== data.challenge) {
        await deps.store.revokeSession(data.session, deps.clock.now());
        return refuse('the verifier does not match the challenge the CLI sent');
      }
      const found = await deps.store.findSession(data.session);
      const user = challenge.subject === null ? undefined : await deps.store.getUserById(challenge.subject);
      if (found === undefined || user === undefined) return refuse('the session is gone');
      return { token: data.token, session: found.session, user };
    },
  };
}
