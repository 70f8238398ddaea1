/**
 * Mounts management API routes (declared as data, `api-route.ts`) on a Hono app: for each
 * call, authenticate the session, validate path, query and body with the route's zod
 * schemas (a 400 names the field), authorize through `requireCapability`, run the handler
 * and check the response against its schema. rekey's typed errors become JSON errors with
 * their stable code and hint; anything else is a bare 500.
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { isRekeyError, type ErrorCode } from '../../core/errors.js';
import { requireCapability, type CapabilityDeps } from '../middleware/require-capability/require-capability.js';
import { authenticateSession, crossSiteProblem, csrfTokenOf, sessionCookieHeader, sourceOf, type SessionAuthDeps } from '../middleware/session-auth/session-auth.js';
import { ApiHttpError } from './api-errors.js';
import type { ApiRoute, RouteInput } from './api-route.js';

export interface ApiAppDeps {
  sessions: SessionAuthDeps;
  capability: CapabilityDeps;
  /** Verifies a BYOK service token (`auth: 'byok-token'` routes); absent: those routes answer 401. */
  byokToken?: ((presented: string) => Promise<{ id: string; name: string; tenants: readonly string[] } | undefined>) | undefined;
}

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 500 | 502 | 503;

const STATUS_OF: Record<ErrorCode, ErrorStatus> = {
  usage: 400,
  config: 400,
  'not-found': 404,
  conflict: 409,
  integrity: 409,
  policy: 422,
  forbidden: 403,
  crypto: 500,
  store: 503,
  provider: 502,
  sink: 502,
  internal: 500,
};

export function apiErrorBody(context: Context, status: ErrorStatus, code: string, message: string, extra: Record<string, unknown> = {}): Response {
  context.header('cache-control', 'no-store');
  return context.json({ error: { code, message, ...extra } }, status);
}

/** `/v1/credentials/{name}` → `/v1/credentials/:name`. */
export function honoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

function invalid(where: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue?.path.join('.') ?? '';
  return `${where}${path === '' ? '' : ` field "${path}"`}: ${issue?.message ?? 'is invalid'}`;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): Parsed<T> {
  if (schema === undefined) return { ok: true, value: undefined as T };
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, message: invalid(where, result.error) };
}

async function bodyOf(context: Context): Promise<Parsed<unknown>> {
  const text = await context.req.text();
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, message: 'the body must be JSON' };
  }
}

function errorResponse(context: Context, error: unknown): Response {
  if (error instanceof ApiHttpError) return apiErrorBody(context, error.status, error.code, error.message);
  if (isRekeyError(error)) {
    return apiErrorBody(context, STATUS_OF[error.code], error.code, error.message, error.hint === undefined ? {} : { hint: error.hint });
  }
  return apiErrorBody(context, 500, 'internal', 'the server could not answer; try again');
}

/** Moves the handler's session token into the HttpOnly cookie and puts the session's CSRF token beside it. */
function setSessionCookie(context: Context, result: unknown): void {
  const login = result as { token?: unknown; session?: { createdAt?: unknown; expiresAt?: unknown }; csrf?: unknown };
  if (typeof login.token !== 'string') throw new Error('a cookie sign-in route must return a token');
  // The cookie lives as long as the session (measured on the server's clock, not this host's).
  const lifetime = Date.parse(String(login.session?.expiresAt)) - Date.parse(String(login.session?.createdAt));
  context.header('set-cookie', sessionCookieHeader(context, login.token, Number.isFinite(lifetime) ? lifetime / 1000 : 0));
  login.csrf = csrfTokenOf(login.token);
}

async function answer(context: Context, route: ApiRoute, deps: ApiAppDeps): Promise<Response> {
  const params = parseWith(route.params, context.req.param(), 'path');
  if (!params.ok) return apiErrorBody(context, 400, 'bad-request', params.message);
  const query = parseWith(route.query, context.req.query(), 'query');
  if (!query.ok) return apiErrorBody(context, 400, 'bad-request', query.message);
  let body: Parsed<unknown> = { ok: true, value: undefined };
  if (route.body !== undefined) {
    const raw = await bodyOf(context);
    body = raw.ok ? parseWith(route.body, raw.value, 'body') : raw;
  }
  if (!body.ok) return apiErrorBody(context, 400, 'bad-request', body.message);
  const input: RouteInput<unknown, unknown, unknown> = { params: params.value, query: query.value, body: body.value };
  if (route.auth === 'none') {
    // A browser sign-in is a state change too: refused unless it comes from our own pages (login CSRF).
    if (route.sessionCookie === 'set') {
      const problem = crossSiteProblem(context, undefined);
      if (problem !== undefined) return apiErrorBody(context, 403, 'cross-site', problem);
    }
    const result = await route.handle({ ...input, actor: undefined as never, source: sourceOf(context) });
    if (route.sessionCookie === 'set') setSessionCookie(context, result);
    context.header('cache-control', 'no-store');
    return context.json(route.response.parse(result) as object, route.status ?? 200);
  }
  if (route.auth === 'byok-token') {
    const presented = /^Bearer\s+(\S+)$/i.exec(context.req.header('authorization') ?? '')?.[1];
    const token = presented === undefined || deps.byokToken === undefined ? undefined : await deps.byokToken(presented);
    if (token === undefined) {
      context.header('www-authenticate', 'Bearer realm="rekey-byok"');
      return apiErrorBody(context, 401, 'unauthorized', 'a live BYOK service token is required (Authorization: Bearer rk_byok_…)');
    }
    const result = await route.handle({ ...input, actor: undefined as never, source: sourceOf(context), byokToken: token });
    context.header('cache-control', 'no-store');
    return context.json(route.response.parse(result) as object, route.status ?? 200);
  }
  const authenticated = await authenticateSession(deps.sessions, context);
  if ('refused' in authenticated) {
    if (authenticated.status === 403) return apiErrorBody(context, 403, 'cross-site', authenticated.refused);
    context.header('www-authenticate', 'Bearer realm="rekey"');
    return apiErrorBody(context, 401, 'unauthorized', authenticated.refused);
  }
  const { actor } = authenticated;
  if (route.access !== undefined) {
    const requested = await route.access(input);
    for (const request of Array.isArray(requested) ? requested : [requested]) {
      const approvalId = context.req.header('x-rekey-approval');
      const decision = await requireCapability(deps.capability, actor, { ...request, operation: route.operationId, input, approvalId: approvalId === '' ? undefined : approvalId });
      if (!decision.allowed) {
        return apiErrorBody(context, decision.status, decision.code, decision.message, { capability: decision.capability, scope: decision.scope, ...decision.extra });
      }
    }
  }
  const result = await route.handle({ ...input, actor, source: actor.via.source, csrf: csrfTokenOf(authenticated.token) });
  if (route.sessionCookie === 'clear') context.header('set-cookie', sessionCookieHeader(context, undefined));
  context.header('cache-control', 'no-store');
  return context.json(route.response.parse(result) as object, route.status ?? 200);
}

/** Adds every route to `app`, each answering as the module comment says. */
export function mountApiRoutes(app: Hono, routes: readonly ApiRoute[], deps: ApiAppDeps): void {
  for (const route of routes) {
    app.on(route.method.toUpperCase(), honoPath(route.path), async (context) => {
      try {
        return await answer(context, route, deps);
      } catch (error) {
        return errorResponse(context, error);
      }
    });
  }
}
