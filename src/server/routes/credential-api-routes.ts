/**
 * Credentials over the management API: list (filtered to what the caller may see), show,
 * versions, add, edit, remove, reveal. Adding, editing and removing a credential change
 * the inventory (`manage-policy`, install-wide); reveal needs `reveal` on the credential.
 */
import { z } from 'zod';
import { UsageError } from '../../core/errors.js';
import { assertCredentialName } from '../../core/credential-name.js';
import { SecretValue } from '../../core/secret-value.js';
import { PROVIDER_KINDS } from '../../core/types.js';
import { keyShapeProblem, scopeProblems } from '../../providers/key-shapes.js';
import { INSTALL_TARGET } from '../../team/access-control.js';
import { addCredential, editCredential, removeCredential, requireCredential, revealCredential, setCredentialValue } from '../../vault/credential-service.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import { credentialTargetNamed, visibleTo, type ApiServices } from '../api/api-services.js';
import {
  consumerWire,
  credentialDetailSchema,
  credentialNameParam,
  credentialSchema,
  credentialSummarySchema,
  credentialWire,
  policySchema,
  versionSchema,
  versionWire,
} from '../api/api-schemas.js';

const nameParams = z.object({ name: credentialNameParam });
const stringMap = z.record(z.string(), z.string());

export const addCredentialBody = z
  .object({
    name: z.string().min(1).max(200),
    provider: z.enum(PROVIDER_KINDS),
    environment: z.string().min(1).max(100).optional().describe('default: the last segment of the name'),
    owner: z.string().max(200).nullable().optional(),
    purpose: z.string().max(500).nullable().optional(),
    scope: stringMap.optional(),
    allowedModels: z.array(z.string().min(1).max(200)).max(100).optional(),
    tags: stringMap.optional(),
    policy: policySchema.optional(),
    value: z.string().min(1).max(10_000).optional().describe('the first value (current); never logged or audited'),
    providerKeyId: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/).nullable().optional(),
    force: z.boolean().optional().describe('accept a value of a custom format or an unexpected scope'),
  })
  .strict()
  .meta({ id: 'CredentialAdd' });

export const editCredentialBody = z
  .object({
    setScope: stringMap.optional(),
    unsetScope: z.array(z.string()).optional(),
    owner: z.string().max(200).nullable().optional(),
    purpose: z.string().max(500).nullable().optional(),
    allowedModels: z.array(z.string().min(1).max(200)).max(100).optional(),
    policy: policySchema.optional(),
    unsetPolicy: z.array(z.enum(['rotateEveryDays', 'maxAgeDays', 'graceQuietSeconds', 'graceMaxSeconds', 'onLeak'])).optional(),
    providerKeyId: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/).optional(),
    version: z.number().int().positive().optional(),
    force: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'CredentialEdit' });

export function credentialApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  const onCredential = (capability: 'read-metadata' | 'reveal') => async ({ params }: { params: { name: string } }) => ({ capability, target: await credentialTargetNamed(store, params.name) });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/credentials',
      operationId: 'credential-list',
      summary: 'List the credentials the caller may read (read-metadata), with their current version',
      tag: 'credentials',
      query: z.object({ provider: z.enum(PROVIDER_KINDS).optional(), environment: z.string().optional() }).strict(),
      response: z.array(credentialSummarySchema),
      async handle({ query, actor }) {
        const filter: { provider?: (typeof PROVIDER_KINDS)[number]; environment?: string } = {};
        if (query.provider !== undefined) filter.provider = query.provider;
        if (query.environment !== undefined) filter.environment = query.environment;
        const visible = await visibleTo(services, actor.user, await store.listCredentials(filter));
        return Promise.all(
          visible.map(async (credential) => {
            const current = await store.getVersionByStage(credential.id, 'current');
            return { credential: credentialWire(credential), current: current === undefined ? null : versionWire(current) };
          }),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/credentials/{name}',
      operationId: 'credential-show',
      summary: 'Show a credential, its versions and consumers',
      tag: 'credentials',
      params: nameParams,
      response: credentialDetailSchema,
      access: onCredential('read-metadata'),
      async handle({ params }) {
        const credential = await requireCredential(store, params.name);
        const [versions, consumers] = await Promise.all([store.listVersions(credential.id), store.listConsumers(credential.id)]);
        return { credential: credentialWire(credential), versions: versions.map(versionWire), consumers: consumers.map(consumerWire) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/credentials/{name}/versions',
      operationId: 'credential-versions',
      summary: 'Every version of a credential',
      tag: 'credentials',
      params: nameParams,
      response: z.array(versionSchema),
      access: onCredential('read-metadata'),
      async handle({ params }) {
        return (await store.listVersions((await requireCredential(store, params.name)).id)).map(versionWire);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/credentials/{name}/versions',
      operationId: 'credential-set-value',
      summary: 'Store a new value: current if there is none, else pending (or the stage asked for); a change of key, so it needs rotate',
      tag: 'credentials',
      params: z.object({ name: credentialNameParam }),
      body: z
        .object({ value: z.string().min(1).max(16_384), stage: z.enum(['pending', 'current']).optional(), providerKeyId: z.string().min(1).max(200).nullable().optional() })
        .strict()
        .meta({ id: 'CredentialSetValue' }),
      response: versionSchema,
      status: 201,
      access: async ({ params }) => ({ capability: 'rotate', target: await credentialTargetNamed(store, params.name) }),
      async handle({ params, body, actor }) {
        const version = await setCredentialValue({ store, vault: services.vault, audit: actor.audit, actor: actor.name }, params.name, new SecretValue(body.value), body.stage, body.providerKeyId ?? null);
        return versionWire(version);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/credentials/{name}/reveal',
      operationId: 'credential-reveal',
      summary: "A version's value (default: current); audited",
      tag: 'credentials',
      params: nameParams,
      body: z.object({ version: z.number().int().positive().optional() }).strict(),
      response: z.object({ credential: z.string(), version: z.number().int(), hint: z.string(), value: z.string() }).meta({ id: 'RevealedValue' }),
      access: onCredential('reveal'),
      async handle({ params, body, actor }) {
        const result = await revealCredential({ store, vault: services.vault, audit: actor.audit, actor: actor.name }, params.name, body.version);
        return { credential: params.name, version: result.version.number, hint: result.version.hint, value: result.value.reveal() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/credentials',
      operationId: 'credential-add',
      summary: 'Add a credential, optionally with its first value',
      tag: 'credentials',
      body: addCredentialBody,
      response: z.object({ credential: credentialSchema, version: versionSchema.nullable() }),
      status: 201,
      access: async () => ({ capability: 'manage-policy', target: INSTALL_TARGET }),
      async handle({ body, actor }) {
        assertCredentialName(body.name);
        const scope = body.scope ?? {};
        const problems = scopeProblems(body.provider, scope);
        if (problems.length > 0 && body.force !== true) throw new UsageError(problems.join('; '), { hint: 'force accepts it anyway' });
        const shape = body.value === undefined ? undefined : keyShapeProblem(body.provider, body.value);
        if (shape !== undefined && body.force !== true) throw new UsageError(shape, { hint: 'force stores a custom format' });
        const result = await addCredential(
          { store, vault: services.vault, audit: actor.audit, actor: actor.name },
          {
            name: body.name,
            provider: body.provider,
            environment: body.environment ?? body.name.split('/').at(-1) ?? '',
            owner: body.owner ?? null,
            purpose: body.purpose ?? null,
            scope,
            allowedModels: body.allowedModels ?? [],
            tags: body.tags ?? {},
            policy: body.policy ?? {},
          },
          body.value === undefined ? undefined : new SecretValue(body.value),
          body.providerKeyId ?? null,
        );
        return { credential: credentialWire(result.credential), version: result.version === undefined ? null : versionWire(result.version) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/credentials/{name}',
      operationId: 'credential-edit',
      summary: "Mend a credential in place: scope, owner, purpose, allowed models, policy, a version's provider key id",
      tag: 'credentials',
      params: nameParams,
      body: editCredentialBody,
      response: z.object({ credential: credentialSchema, changed: z.array(z.string()) }),
      access: async () => ({ capability: 'manage-policy', target: INSTALL_TARGET }),
      async handle({ params, body, actor }) {
        const { providerKeyId, version, force, ...edit } = body;
        const result = await editCredential({ store, audit: actor.audit, actor: actor.name }, params.name, edit, {
          providerKeyId,
          version,
          checkScope: force === true ? undefined : (provider, scope) => scopeProblems(provider, scope),
        });
        return { credential: credentialWire(result.credential), changed: result.changed };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/credentials/{name}',
      operationId: 'credential-remove',
      summary: 'Remove a credential and its versions (keys at the provider are not revoked)',
      tag: 'credentials',
      params: nameParams,
      response: z.object({ removed: z.string(), liveVersions: z.number().int() }),
      access: async () => ({ capability: 'manage-policy', target: INSTALL_TARGET }),
      async handle({ params, actor }) {
        const result = await removeCredential({ store, audit: actor.audit, actor: actor.name }, params.name);
        return { removed: params.name, ...result };
      },
    }),
  ];
}
