/**
 * The management API (issue 11 item 7) as one list of routes, mounted on `rekey serve`'s
 * app beside key delivery, with its OpenAPI 3.1 document at `/openapi.json`.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { approvalApiRoutes } from '../routes/approval-api-routes.js';
import { authApiRoutes } from '../routes/auth-api-routes.js';
import { byokApiRoutes } from '../routes/byok-api-routes.js';
import { auditApiRoutes } from '../routes/audit-api-routes.js';
import { consumerApiRoutes } from '../routes/consumer-api-routes.js';
import { credentialApiRoutes } from '../routes/credential-api-routes.js';
import { identityApiRoutes } from '../routes/identity-api-routes.js';
import { mountSsoRoutes, ssoApiRoutes, SSO_PATHS } from '../routes/sso-routes.js';
import { mfaApiRoutes } from '../routes/mfa-api-routes.js';
import { passkeyApiRoutes } from '../routes/passkey-api-routes.js';
import { rotationApiRoutes } from '../routes/rotation-api-routes.js';
import { teamApiRoutes } from '../routes/team-api-routes.js';
import { tokenApiRoutes } from '../routes/token-api-routes.js';
import { mountApiRoutes } from './api-app.js';
import type { ApiRoute } from './api-route.js';
import type { ApiServices } from './api-services.js';
import { buildOpenApiDocument, type OpenApiExtraPath } from './openapi-document.js';

export function managementRoutes(services: ApiServices): ApiRoute[] {
  return [
    ...authApiRoutes(services),
    ...credentialApiRoutes(services),
    ...consumerApiRoutes(services),
    ...rotationApiRoutes(services),
    ...tokenApiRoutes(services),
    ...auditApiRoutes(services),
    ...teamApiRoutes(services),
    ...identityApiRoutes(services),
    ...ssoApiRoutes(services),
    ...mfaApiRoutes(services),
    ...passkeyApiRoutes(services),
    ...approvalApiRoutes(services),
    ...byokApiRoutes(services),
  ];
}

/** The routes that are not management routes (health, key delivery), as the document lists them. */
export const DELIVERY_PATHS: readonly OpenApiExtraPath[] = [
  { path: '/healthz', method: 'get', summary: 'Liveness', tag: 'health', security: 'none', responses: { '200': { description: 'alive', schema: z.object({ status: z.literal('ok') }) } } },
  {
    path: '/readyz',
    method: 'get',
    summary: 'Readiness: the store answers',
    tag: 'health',
    security: 'none',
    responses: { '200': { description: 'ready', schema: z.object({ status: z.literal('ready') }) }, '503': { description: 'the store cannot be reached' } },
  },
  {
    path: '/v1/credentials/{name}/keys',
    method: 'get',
    summary: 'The key set of a credential for an application (current, and previous during grace); a long poll with If-None-Match and wait',
    tag: 'delivery',
    security: 'read-token',
    parameters: [
      { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'wait', in: 'query', required: false, schema: { type: 'number', minimum: 0 } },
      { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
    ],
    responses: {
      '200': {
        description: 'the key set',
        schema: z.object({
          credential: z.string(),
          provider: z.string(),
          generation: z.number(),
          keys: z.array(z.object({ version: z.number().int(), stage: z.string(), value: z.string(), hint: z.string() })),
        }),
      },
      '304': { description: 'unchanged (the long poll timed out)' },
      '401': { description: 'no valid read token (also: revoked or expired while a long poll waited)' },
      '403': { description: 'the token is not scoped to this credential (by id: not one created again under its name)' },
      '404': { description: 'no such credential' },
    },
  },
  {
    path: '/v1/eso/keys',
    method: 'get',
    summary: "External Secrets Operator's webhook provider: current, and previous during grace (else null), as flat fields for result.jsonPath",
    tag: 'delivery',
    security: 'read-token',
    parameters: [{ name: 'credential', in: 'query', required: true, schema: { type: 'string' } }],
    responses: {
      '200': {
        description: 'the live keys of the credential',
        schema: z.object({
          credential: z.string(),
          provider: z.string(),
          generation: z.number(),
          current: z.string().nullable(),
          currentVersion: z.number().int().nullable(),
          previous: z.string().nullable(),
          previousVersion: z.number().int().nullable(),
        }),
      },
      '400': { description: 'no credential parameter' },
      '401': { description: 'no valid read token' },
      '403': { description: 'the token is not scoped to this credential' },
      '404': { description: 'no such credential (ESO applies the deletionPolicy)' },
    },
  },
  {
    path: '/v1/check-ins',
    method: 'post',
    summary: 'An SDK reports which key versions it used',
    tag: 'delivery',
    security: 'read-token',
    requestBody: z.object({
      credential: z.string(),
      instance: z.string().optional(),
      versions: z.array(z.object({ version: z.number().int().positive(), requests: z.number().int().min(0), lastUsedAt: z.number().int().positive().optional() })),
    }),
    responses: { '204': { description: 'recorded' }, '400': { description: 'bad input' }, '401': { description: 'no valid read token' }, '403': { description: 'out of scope' } },
  },
  {
    path: '/metrics',
    method: 'get',
    summary: 'Prometheus metrics: key deliveries by credential, version and read token since start',
    tag: 'health',
    security: 'read-token',
    responses: { '200': { description: 'Prometheus text exposition' }, '401': { description: 'no valid read token' } },
  },
  { path: '/ui', method: 'get', summary: 'The web dashboard: redirects to /ui/', tag: 'ui', security: 'none', responses: { '302': { description: 'to /ui/' } } },
  {
    path: '/ui/{path}',
    method: 'get',
    summary: 'The web dashboard (single page; strict CSP, no framing). Sign in with POST /v1/auth/browser-login',
    tag: 'ui',
    security: 'none',
    parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
    responses: { '200': { description: 'the page or one of its bundled files' }, '404': { description: 'no such file' }, '503': { description: 'the dashboard is not built (npm run build:ui)' } },
  },
  { path: '/openapi.json', method: 'get', summary: 'This document', tag: 'health', security: 'none', responses: { '200': { description: 'the OpenAPI 3.1 document' } } },
];

export function mountManagementApi(app: Hono, services: ApiServices, info: { version: string }): void {
  const routes = managementRoutes(services);
  const document = buildOpenApiDocument(routes, [...DELIVERY_PATHS, ...SSO_PATHS], info);
  app.get('/openapi.json', (context) => context.json(document));
  mountSsoRoutes(app, services);
  mountApiRoutes(app, routes, {
    sessions: { store: services.store, clock: services.clock, integrity: services.integrity, audit: services.audit },
    capability: { access: services.access, store: services.store, gates: services.gates },
    byokToken: services.byok === undefined ? undefined : (presented) => services.byok?.verifyToken(presented) ?? Promise.resolve(undefined),
  });
}
