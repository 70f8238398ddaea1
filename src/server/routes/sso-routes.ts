/**
 * OIDC SSO for people on `rekey serve` (issue 11):
 *
 * - `GET /v1/auth/sso/{name}/start` → 302 to the IdP. Browser logins get a state cookie
 *   (HttpOnly, SameSite=Lax, path /v1/auth/sso/) that the callback must see again; a CLI
 *   login passes `cli_redirect` (its loopback listener) and `cli_challenge` (S256 of its
 *   own verifier) instead.
 * - `GET /v1/auth/sso/{name}/callback` → the code exchange; a browser login ends with the
 *   session cookie (`rekey_session`, HttpOnly, SameSite=Lax, Secure over https) and a 302
 *   to `return_to` (default /ui/); a CLI login with a 302 to its loopback URL carrying a
 *   one-time code (60 s, single use).
 * - `POST /v1/auth/sso/exchange` { code, verifier } → the session token, as password login answers.
 *
 * Refusals are JSON errors (400 for bad input, 401 for a refused sign-in) that never echo
 * a code, a state or a token.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { isRekeyError, UsageError } from '../../core/errors.js';
import { createSsoService, SsoRefusal, type SsoService } from '../../team/sso-login.js';
import { apiErrorBody, honoPath } from '../api/api-app.js';
import { UnauthorizedError } from '../api/api-errors.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';
import { userSchema, userWire } from '../api/api-schemas.js';
import type { OpenApiExtraPath } from '../api/openapi-document.js';
import { cookieOf, SESSION_COOKIE, sourceOf } from '../middleware/session-auth/session-auth.js';

/** The browser's half of a login in flight (state, nonce and verifier stay on the server). */
const STATE_COOKIE = 'rekey_sso_state';
const START_PATH = '/v1/auth/sso/{name}/start';
const CALLBACK_PATH = '/v1/auth/sso/{name}/callback';

function ssoOf(services: ApiServices): () => SsoService {
  let service: SsoService | undefined;
  return () => {
    const envelope = services.team?.envelope;
    if (envelope === undefined) throw new UsageError('SSO needs team mode on this server (the master key seals the login state)');
    service ??= createSsoService({ store: services.store, audit: services.audit, clock: services.clock, integrity: services.integrity, envelope, lifetimes: services.sessions?.lifetimes });
    return service;
  };
}

function cookie(name: string, value: string, options: { path: string; maxAge: number; secure: boolean }): string {
  return `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAge}; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;
}

function refusal(context: Context, error: unknown): Response {
  if (error instanceof SsoRefusal) return apiErrorBody(context, 401, 'sso-refused', error.message);
  if (isRekeyError(error) && (error.code === 'usage' || error.code === 'not-found' || error.code === 'policy')) return apiErrorBody(context, error.code === 'not-found' ? 404 : 400, error.code, error.message);
  return apiErrorBody(context, 500, 'internal', 'the server could not answer; try again');
}

/** Mounts start and callback (redirects, not JSON, so they sit beside the declared routes). */
export function mountSsoRoutes(app: Hono, services: ApiServices): void {
  const sso = ssoOf(services);
  app.get(honoPath(START_PATH), async (context) => {
    try {
      const name = context.req.param('name') ?? '';
      const url = new URL(context.req.url);
      const cliRedirect = context.req.query('cli_redirect');
      const cliChallenge = context.req.query('cli_challenge');
      if ((cliRedirect === undefined) !== (cliChallenge === undefined)) throw new UsageError('cli_redirect and cli_challenge go together');
      const { authorizationUrl, state } = await sso().start(name, {
        callbackUrl: `${url.origin}${CALLBACK_PATH.replace('{name}', encodeURIComponent(name))}`,
        cli: cliRedirect === undefined || cliChallenge === undefined ? undefined : { redirect: cliRedirect, challenge: cliChallenge },
        returnTo: context.req.query('return_to'),
      });
      context.header('cache-control', 'no-store');
      if (cliRedirect === undefined) context.header('set-cookie', cookie(STATE_COOKIE, state, { path: '/v1/auth/sso/', maxAge: 600, secure: url.protocol === 'https:' }));
      return context.redirect(authorizationUrl, 302);
    } catch (error) {
      return refusal(context, error);
    }
  });
  app.get(honoPath(CALLBACK_PATH), async (context) => {
    try {
      const url = new URL(context.req.url);
      const finished = await sso().callback(context.req.param('name') ?? '', url, sourceOf(context), cookieOf(context.req.header('cookie'), STATE_COOKIE));
      context.header('cache-control', 'no-store');
      if (finished.mode === 'cli') return context.redirect(finished.redirect, 302);
      const secure = url.protocol === 'https:';
      context.header('set-cookie', cookie(STATE_COOKIE, '', { path: '/v1/auth/sso/', maxAge: 0, secure }), { append: true });
      const seconds = Math.max(1, Math.round((finished.session.expiresAt.getTime() - services.clock.now().getTime()) / 1000));
      context.header('set-cookie', cookie(SESSION_COOKIE, finished.token, { path: '/', maxAge: seconds, secure }), { append: true });
      return context.redirect(finished.returnTo, 302);
    } catch (error) {
      return refusal(context, error);
    }
  });
}

export const ssoExchangeBody = z.object({ code: z.string().min(1).max(200), verifier: z.string().min(43).max(128) }).strict().meta({ id: 'SsoExchangeRequest' });

export const ssoExchangeResponse = z
  .object({ token: z.string().describe('rk_ses_…, shown once'), session: z.object({ id: z.string(), expiresAt: z.iso.datetime(), mfa: z.string().nullable() }), user: userSchema })
  .meta({ id: 'SsoExchangeResponse' });

export function ssoApiRoutes(services: ApiServices): ApiRoute[] {
  const sso = ssoOf(services);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/auth/sso/exchange',
      operationId: 'sso-exchange',
      summary: "CLI SSO login: the one-time code from the loopback redirect and the CLI's PKCE verifier → a session token",
      tag: 'auth',
      auth: 'none',
      body: ssoExchangeBody,
      response: ssoExchangeResponse,
      status: 201,
      async handle({ body, source }) {
        try {
          const { token, session, user } = await sso().exchangeCode(body.code, body.verifier, source);
          return { token, session: { id: session.id, expiresAt: session.expiresAt.toISOString(), mfa: session.mfaMethod }, user: userWire(user) };
        } catch (error) {
          if (error instanceof SsoRefusal) throw new UnauthorizedError(error.message, 'sso-refused');
          throw error;
        }
      },
    }),
  ];
}

export const SSO_PATHS: readonly OpenApiExtraPath[] = [
  {
    path: START_PATH,
    method: 'get',
    summary: 'Start an SSO sign-in: 302 to the IdP (authorization code + PKCE S256, state and nonce kept server-side for 10 minutes)',
    tag: 'auth',
    security: 'none',
    parameters: [
      { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'return_to', in: 'query', required: false, schema: { type: 'string' }, description: 'browser: the path to land on (default /ui/)' },
      { name: 'cli_redirect', in: 'query', required: false, schema: { type: 'string' }, description: 'CLI: its loopback URL, http://127.0.0.1:<port>/…' },
      { name: 'cli_challenge', in: 'query', required: false, schema: { type: 'string' }, description: "CLI: base64url SHA-256 of the CLI's verifier" },
    ],
    responses: { '302': { description: 'to the IdP' }, '400': { description: 'bad input' }, '404': { description: 'no such provider' } },
  },
  {
    path: CALLBACK_PATH,
    method: 'get',
    summary: "The IdP's redirect: code exchange; a browser gets the rekey_session cookie and a 302 to return_to, a CLI a 302 to its loopback URL with a one-time code",
    tag: 'auth',
    security: 'none',
    parameters: [
      { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'state', in: 'query', required: true, schema: { type: 'string' } },
    ],
    responses: { '302': { description: 'signed in' }, '401': { description: 'refused (state, code, ID token, account), audited as sso-login' } },
  },
];
