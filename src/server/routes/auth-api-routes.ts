/**
 * `POST /v1/auth/login` (password, and a second factor when the account has one),
 * `POST /v1/auth/logout`, `GET /v1/auth/whoami`. The session token is returned once, in
 * the login body; only its hash is stored.
 */
import { z } from 'zod';
import { CAPABILITIES } from '../../core/team-types.js';
import { grantsOf } from '../../team/authorize.js';
import { principalOf } from '../../team/access-control.js';
import { login, logout } from '../../team/session-service.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';
import { userSchema, userWire } from '../api/api-schemas.js';
import { UnauthorizedError } from '../api/api-errors.js';

const sessionSchema = z
  .object({ id: z.string(), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime(), idleSeconds: z.number().int(), mfa: z.string().nullable(), source: z.string().nullable() })
  .meta({ id: 'Session' });

const grantSchema = z.object({ role: z.string(), scope: z.string(), capabilities: z.array(z.enum(CAPABILITIES)) }).meta({ id: 'Grant' });

export const loginBodySchema = z
  .object({
    user: z.string().min(1).max(64),
    password: z.string().min(1).max(1024),
    mfa: z.record(z.string(), z.unknown()).optional().describe('the second factor: { "totp": "123456" }, { "recoveryCode": "…" } or { "webauthn": <assertion for POST /v1/auth/passkey/options> }'),
  })
  .strict()
  .meta({ id: 'LoginRequest' });

export const loginResponseSchema = z.object({ token: z.string().describe('rk_ses_…, shown once'), session: sessionSchema, user: userSchema }).meta({ id: 'LoginResponse' });
export const browserLoginResponseSchema = z
  .object({ session: sessionSchema, user: userSchema, csrf: z.string().describe('send back in X-Rekey-CSRF on every state change') })
  .meta({ id: 'BrowserLoginResponse' });
export const whoamiSchema = z
  .object({ user: userSchema, session: sessionSchema, grants: z.array(grantSchema), csrf: z.string().optional().describe('the session CSRF token (for the dashboard after a reload)') })
  .meta({ id: 'Whoami' });

export function sessionWire(session: { id: string; createdAt: Date; expiresAt: Date; idleSeconds: number; mfaMethod: string | null; source: string | null }) {
  return { id: session.id, createdAt: session.createdAt.toISOString(), expiresAt: session.expiresAt.toISOString(), idleSeconds: session.idleSeconds, mfa: session.mfaMethod, source: session.source };
}

export function authApiRoutes(services: ApiServices): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/auth/login',
      operationId: 'session-login',
      summary: 'Sign in with a password (and a second factor when the account has one); returns a session token',
      tag: 'auth',
      auth: 'none',
      body: loginBodySchema,
      response: loginResponseSchema,
      status: 201,
      async handle({ body, source }) {
        const result = await login({ ...services, ...services.sessions }, { user: body.user, password: body.password, mfa: body.mfa, source });
        if (!result.ok) throw new UnauthorizedError(result.message, result.reason);
        return { token: result.token, session: sessionWire(result.session), user: userWire(result.user) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/browser-login',
      operationId: 'session-browser-login',
      summary:
        'Sign in from the web dashboard: the session goes into an HttpOnly, SameSite=Strict cookie (Secure under TLS), never the body; the body carries the CSRF token to send back in X-Rekey-CSRF. Refused (403) unless Origin is this server',
      tag: 'auth',
      auth: 'none',
      sessionCookie: 'set',
      body: loginBodySchema,
      response: browserLoginResponseSchema,
      status: 201,
      async handle({ body, source }) {
        const result = await login({ ...services, ...services.sessions }, { user: body.user, password: body.password, mfa: body.mfa, source });
        if (!result.ok) throw new UnauthorizedError(result.message, result.reason);
        // `token` goes into the cookie (api-app) and is stripped from the body by the schema.
        return { token: result.token, session: sessionWire(result.session), user: userWire(result.user), csrf: '' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/logout',
      operationId: 'session-logout',
      summary: 'End this session',
      tag: 'auth',
      response: z.object({ session: z.string(), ended: z.literal(true) }),
      sessionCookie: 'clear',
      async handle({ actor }) {
        if (actor.workload !== undefined) {
          await services.store.revokeWorkloadSession(actor.session.id, services.clock.now());
          await actor.audit.record({ event: 'session-logout', actor: actor.name, credential: null, fingerprint: null, outcome: 'ok', detail: { session: actor.session.id, source: actor.via.source } });
          return { session: actor.session.id, ended: true as const };
        }
        await logout(services, actor.session, actor.user, actor.via.source);
        return { session: actor.session.id, ended: true as const };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/auth/whoami',
      operationId: 'session-whoami',
      summary: 'Who this session is: the person, the session and their role grants',
      tag: 'auth',
      response: whoamiSchema,
      async handle({ actor, csrf }) {
        const [roles, bindings] = await Promise.all([services.store.listRoles(), services.store.listRoleBindings()]);
        return { user: userWire(actor.user), session: sessionWire(actor.session), grants: grantsOf(principalOf(actor.user), roles, bindings), ...(csrf === undefined ? {} : { csrf }) };
      },
    }),
  ];
}
