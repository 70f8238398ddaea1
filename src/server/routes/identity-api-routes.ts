/**
 * OIDC workload identity over the management API (issue 11, OIDC for machines): list, add
 * and remove identities (`manage-users`, install-wide), and `POST /v1/auth/workload`, where
 * a CI job trades the OIDC token its platform issued for a 15-minute session as
 * `workload:<identity>` (no refresh). A refused token is a 401 and a `workload-login`
 * error event; the token itself is never logged or echoed.
 */
import { z } from 'zod';
import { PolicyError } from '../../core/errors.js';
import type { WorkloadIdentityRecord } from '../../store/identity-store-types.js';
import { INSTALL_TARGET } from '../../team/access-control.js';
import type { TeamDeps } from '../../team/team-deps.js';
import { removeWorkloadIdentity, saveWorkloadIdentity } from '../../team/workload-identity.js';
import { createWorkloadExchange, type WorkloadExchange } from '../../team/workload-session.js';
import type { ApiActor } from '../api/api-actor.js';
import { UnauthorizedError } from '../api/api-errors.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';

export const workloadIdentitySchema = z
  .object({
    name: z.string(),
    issuer: z.string(),
    audience: z.string(),
    boundClaims: z.record(z.string(), z.string()),
    groups: z.array(z.string()),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
  })
  .meta({ id: 'WorkloadIdentity' });

export const workloadIdentityBody = z
  .object({
    name: z.string().min(1).max(48),
    issuer: z.string().min(1).max(500).describe('https (http only on loopback), e.g. https://token.actions.githubusercontent.com'),
    audience: z.string().min(1).max(500).describe('the aud the job asks its platform for'),
    boundClaims: z.record(z.string(), z.string()).describe('claim → glob; every one must match, e.g. { "repository": "acme/app", "ref": "refs/heads/main" }'),
    groups: z.array(z.string()).max(100),
  })
  .strict()
  .meta({ id: 'WorkloadIdentityAdd' });

export const workloadLoginBody = z.object({ token: z.string().min(1).max(16_384).describe("the CI job's OIDC token (a JWT)") }).strict().meta({ id: 'WorkloadLoginRequest' });

export const workloadLoginResponse = z
  .object({
    token: z.string().describe('rk_wls_…, shown once; Authorization: Bearer on later calls'),
    session: z.object({ id: z.string(), expiresAt: z.iso.datetime() }),
    identity: z.object({ name: z.string(), groups: z.array(z.string()) }),
    actor: z.string().describe('workload:<identity>, as the audit log names it'),
  })
  .meta({ id: 'WorkloadLoginResponse' });

export function workloadIdentityWire(identity: WorkloadIdentityRecord): z.infer<typeof workloadIdentitySchema> {
  return { name: identity.name, issuer: identity.issuer, audience: identity.audience, boundClaims: identity.boundClaims, groups: identity.groups, createdAt: identity.createdAt.toISOString(), createdBy: identity.createdBy };
}

export function identityApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  const access = async () => ({ capability: 'manage-users' as const, target: INSTALL_TARGET });
  const teamOf = (actor: ApiActor): TeamDeps => ({ store, audit: actor.audit, clock: services.clock, actor: actor.name, integrity: services.integrity });
  // One exchange (and so one JWKS cache per issuer) for the life of the server.
  let exchange: WorkloadExchange | undefined;
  const exchangeOf = () => (exchange ??= createWorkloadExchange({ store, audit: services.audit, clock: services.clock, integrity: services.integrity }));
  return [
    defineRoute({
      method: 'get',
      path: '/v1/identities',
      operationId: 'workload-identity-list',
      summary: 'OIDC workload identities (CI jobs): issuer, audience, bound claims, groups',
      tag: 'team',
      response: z.array(workloadIdentitySchema),
      access,
      async handle() {
        return (await store.listWorkloadIdentities()).map(workloadIdentityWire);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/identities',
      operationId: 'workload-identity-add',
      summary: 'Add or replace a workload identity',
      tag: 'team',
      body: workloadIdentityBody,
      response: workloadIdentitySchema,
      status: 201,
      access,
      async handle({ body, actor }) {
        return workloadIdentityWire(await saveWorkloadIdentity(teamOf(actor), body));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/identities/{name}',
      operationId: 'workload-identity-remove',
      summary: 'Remove a workload identity; its sessions end',
      tag: 'team',
      params: z.object({ name: z.string().min(1).max(48) }),
      response: z.object({ name: z.string(), removed: z.literal(true), sessionsEnded: z.number().int() }),
      access,
      async handle({ params, actor }) {
        const { sessionsEnded } = await removeWorkloadIdentity(teamOf(actor), params.name);
        return { name: params.name, removed: true as const, sessionsEnded };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/workload',
      operationId: 'workload-login',
      summary: "A CI job's OIDC token for a 15-minute session as its workload identity (no refresh)",
      tag: 'auth',
      auth: 'none',
      body: workloadLoginBody,
      response: workloadLoginResponse,
      status: 201,
      async handle({ body, source }) {
        try {
          const { token, session, identity } = await exchangeOf().exchange(body.token, source);
          return { token, session: { id: session.id, expiresAt: session.expiresAt.toISOString() }, identity: { name: identity.name, groups: identity.groups }, actor: `workload:${identity.name}` };
        } catch (error) {
          if (error instanceof PolicyError) throw new UnauthorizedError(error.message, 'workload-refused');
          throw error;
        }
      },
    }),
  ];
}
