/**
 * A management API route as data (issue 11 item 7): method, path, the zod schemas of its
 * path parameters, query, body and response, the capability and target it needs, and the
 * handler. The Hono app (`api-app.ts`) and the OpenAPI document (`openapi-document.ts`)
 * are both built from the same list, so a route cannot exist without being documented
 * and validated.
 */
import type { z } from 'zod';
import type { Capability } from '../../core/team-types.js';
import type { AuthorizationTarget } from '../../team/authorize.js';
import type { ApiActor } from './api-actor.js';

export type ApiMethod = 'get' | 'post' | 'patch' | 'delete';

/** What a route needs to be allowed: one capability on one target. */
export interface AccessRequest {
  capability: Capability;
  target: AuthorizationTarget;
}

export interface RouteInput<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
}

export interface HandlerInput<Params, Query, Body> extends RouteInput<Params, Query, Body> {
  /** Who is acting, with the audit log and services bound to them (absent on `auth: 'none'` routes). */
  actor: ApiActor;
  /** The request's source address. */
  source: string;
  /** The session's CSRF token (what a browser must send back in `X-Rekey-CSRF`). */
  csrf?: string | undefined;
  /** On `auth: 'byok-token'` routes: the SaaS application's service token (tenants it acts for). */
  byokToken?: { id: string; name: string; tenants: readonly string[] } | undefined;
}

export interface ApiRoute<Params = unknown, Query = unknown, Body = unknown, Response = unknown> {
  method: ApiMethod;
  /** OpenAPI style: `/v1/credentials/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: z.ZodType<Params> | undefined;
  query?: z.ZodType<Query> | undefined;
  body?: z.ZodType<Body> | undefined;
  response: z.ZodType<Response>;
  /** 200 unless said (201 for a creation). */
  status?: 200 | 201 | undefined;
  /** `none`: no sign-in (login); `byok-token`: a BYOK service token (issue 20). Default: a live session. */
  auth?: 'session' | 'none' | 'byok-token' | undefined;
  /**
   * The capability and target the call needs, resolved from its input (a credential's
   * environment, provider and owner team come from the store). Absent: any signed-in
   * person may call it (whoami, logout).
   */
  /**
   * Browser sessions: `set` puts the handler's `token` in an HttpOnly, SameSite=Strict cookie
   * (it never reaches the body: the response schema has no `token`), `clear` removes it.
   */
  sessionCookie?: 'set' | 'clear' | undefined;
  access?: ((input: RouteInput<Params, Query, Body>) => Promise<AccessRequest | AccessRequest[]>) | undefined;
  handle(input: HandlerInput<Params, Query, Body>): Promise<Response>;
}

/** Keeps the generic types of one route while the list holds many. */
export function defineRoute<Params, Query, Body, Response>(route: ApiRoute<Params, Query, Body, Response>): ApiRoute {
  return route as unknown as ApiRoute;
}
