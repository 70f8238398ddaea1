/**
 * Application access tokens over the management API: list, create, revoke. Each needs
 * `manage-tokens` on every credential the token names (a token for a production
 * credential is a way to its key). The new token is in the create response, once.
 */
import { z } from 'zod';
import { issueAccessToken } from '../../access/access-tokens.js';
import { parseCidr } from '../../access/token-network.js';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { ACCESS_TOKEN_KINDS, type AccessToken } from '../../core/types.js';
import { requireCredential } from '../../vault/credential-service.js';
import { defineRoute, type AccessRequest, type ApiRoute } from '../api/api-route.js';
import { credentialTargetNamed, type ApiServices } from '../api/api-services.js';
import { tokenSchema, tokenWire } from '../api/api-schemas.js';

export const createTokenBody = z
  .object({
    kind: z.enum(ACCESS_TOKEN_KINDS),
    name: z.string().min(1).max(100),
    credentials: z.array(z.string().min(1).max(200)).min(1).max(100),
    allowedModels: z.array(z.string().min(1).max(200)).max(100).optional(),
    allowedEndpoints: z.array(z.string().min(1).max(50)).max(20).optional().describe('proxy tokens: endpoint groups beyond inference and model listing'),
    ttlSeconds: z.number().int().positive().optional().describe('lifetime from creation; absent: until revoked'),
    cidrs: z.array(z.string().min(1).max(50)).max(50).optional().describe('source networks it is accepted from; absent: any'),
  })
  .strict()
  .meta({ id: 'TokenCreate' });

export function tokenApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  const onEvery = async (names: readonly string[]): Promise<AccessRequest[]> =>
    Promise.all(names.map(async (name) => ({ capability: 'manage-tokens' as const, target: await credentialTargetNamed(store, name) })));
  async function tokenNamed(idOrName: string): Promise<AccessToken> {
    const found = (await store.listAccessTokens({ includeRevoked: false })).find((token) => token.id === idOrName || token.name === idOrName);
    if (found === undefined) throw new NotFoundError(`no live token ${idOrName}`, { hint: 'list them with `rekey token list`' });
    return found;
  }
  return [
    defineRoute({
      method: 'get',
      path: '/v1/tokens',
      operationId: 'token-list',
      summary: 'Tokens whose every credential the caller may manage tokens for (never their values)',
      tag: 'tokens',
      query: z.object({ kind: z.enum(ACCESS_TOKEN_KINDS).optional(), all: z.enum(['true', 'false']).optional() }).strict(),
      response: z.array(tokenSchema),
      async handle({ query, actor }) {
        const filter: { kind?: (typeof ACCESS_TOKEN_KINDS)[number]; includeRevoked: boolean } = { includeRevoked: query.all === 'true' };
        if (query.kind !== undefined) filter.kind = query.kind;
        const visible: AccessToken[] = [];
        for (const token of await store.listAccessTokens(filter)) {
          const requests = await onEvery(token.credentials);
          const decisions = await Promise.all(requests.map((request) => services.access.check(actor.user, request.capability, request.target)));
          if (decisions.every((decision) => decision.allowed)) visible.push(token);
        }
        return visible.map(tokenWire);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/tokens',
      operationId: 'token-create',
      summary: 'Create a token for an application; the token is in this response only',
      tag: 'tokens',
      body: createTokenBody,
      response: tokenSchema.extend({ token: z.string().describe('rk_read_… or rk_proxy_…, shown once') }),
      status: 201,
      access: ({ body }) => onEvery(body.credentials),
      async handle({ body, actor }) {
        if (body.kind === 'read' && (body.allowedModels ?? []).length > 0) throw new UsageError('allowedModels applies to proxy tokens only');
        for (const credential of body.credentials) await requireCredential(store, credential);
        if (body.kind === 'read' && (body.allowedEndpoints ?? []).length > 0) throw new UsageError('allowedEndpoints applies to proxy tokens only');
        const cidrs = (body.cidrs ?? []).map((cidr) => parseCidr(cidr, 'body field "cidrs"'));
        const allowedEndpoints = body.allowedEndpoints ?? [];
        const result = await issueAccessToken(
          store,
          { kind: body.kind, name: body.name, credentials: body.credentials, allowedModels: body.allowedModels ?? [], allowedEndpoints, createdBy: actor.name, ttlSeconds: body.ttlSeconds, cidrs },
          services.clock.now(),
        );
        await actor.audit.record({
          event: 'token-create', actor: actor.name, credential: null, fingerprint: null, outcome: 'ok',
          detail: { id: result.token.id, kind: body.kind, name: body.name, credentials: body.credentials, credentialIds: result.token.credentialIds, allowedModels: result.token.allowedModels, allowedEndpoints, expiresAt: result.token.expiresAt?.toISOString() ?? null, cidrs },
        });
        return { ...tokenWire(result.token), token: result.secret };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/tokens/{id}',
      operationId: 'token-revoke',
      summary: 'Revoke a token (by id or application name)',
      tag: 'tokens',
      params: z.object({ id: z.string().min(1).max(100) }),
      response: tokenSchema,
      access: async ({ params }) => onEvery((await tokenNamed(params.id)).credentials),
      async handle({ params, actor }) {
        const revoked = await store.revokeAccessToken((await tokenNamed(params.id)).id, services.clock.now());
        await actor.audit.record({ event: 'token-revoke', actor: actor.name, credential: null, fingerprint: null, outcome: 'ok', detail: { id: revoked.id, kind: revoked.kind, name: revoked.name } });
        return tokenWire(revoked);
      },
    }),
  ];
}
