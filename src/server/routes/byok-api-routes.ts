/**
 * Bring-your-own-key routes of `rekey serve` (issue 20), under a BYOK service token scoped
 * to tenants: put (validated first), use (the value, counted), list (metadata), delete,
 * check, report a failure. A tenant the token is not granted is 403, whatever exists in it.
 * A value travels only in the put body and the use answer (never in a URL, log or audit event).
 */
import { z } from 'zod';
import { ForbiddenError } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';
import type { ByokKeyInfo } from '../../byok/tenant-vault.js';
import { BYOK_PROVIDERS, BYOK_STATUSES } from '../../store/byok-store-types.js';
import { defineRoute, type ApiRoute, type HandlerInput } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';

const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit');

const keySchema = z.object({
  id: z.string(),
  tenant: z.string(),
  userRef: z.string(),
  provider: z.enum(BYOK_PROVIDERS),
  label: z.string(),
  hint: z.string(),
  status: z.enum(BYOK_STATUSES),
  statusDetail: z.string().nullable(),
  createdAt: z.string(),
  lastValidatedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  uses: z.number().int(),
}).meta({ id: 'ByokKey' });

const validationSchema = z.object({ status: z.enum(BYOK_STATUSES), detail: z.string() }).meta({ id: 'ByokValidation' });

function keyWire(key: ByokKeyInfo): z.infer<typeof keySchema> {
  return { ...key, createdAt: key.createdAt.toISOString(), lastValidatedAt: key.lastValidatedAt?.toISOString() ?? null, lastUsedAt: key.lastUsedAt?.toISOString() ?? null };
}

const tenantParams = z.object({ tenant: name }).strict();
const keyParams = z.object({ tenant: name, id: z.string().min(1).max(64) }).strict();

function granted(input: HandlerInput<{ tenant: string }, unknown, unknown>): string {
  const tenant = input.params.tenant;
  if (input.byokToken === undefined || !input.byokToken.tenants.includes(tenant)) {
    throw new ForbiddenError(`this BYOK token is not granted tenant ${tenant}`);
  }
  return tenant;
}

export function byokApiRoutes(services: ApiServices): ApiRoute[] {
  const byok = () => {
    if (services.byok === undefined) throw new ForbiddenError('bring-your-own-key is not enabled on this server');
    return services.byok.service;
  };
  const record = async (input: HandlerInput<unknown, unknown, unknown>, event: string, detail: Record<string, unknown>) => {
    await services.audit.record({ event, actor: `byok-token:${input.byokToken?.name ?? '?'}`, credential: null, fingerprint: null, outcome: 'ok', detail });
  };
  return [
    defineRoute({
      method: 'post',
      path: '/v1/byok/{tenant}/keys',
      operationId: 'byok-put',
      summary: "Store a user's own key: shape check, one cheap authenticated call to the provider, then sealed under the tenant's data key (an invalid key is not stored)",
      tag: 'byok',
      auth: 'byok-token',
      params: tenantParams,
      body: z.object({ userRef: name, provider: z.enum(BYOK_PROVIDERS), label: name.optional(), value: z.string().min(1).max(4096) }).strict(),
      response: z.object({ stored: z.boolean(), key: keySchema.nullable(), validation: validationSchema }).meta({ id: 'ByokPutResult' }),
      async handle(input) {
        const tenant = granted(input);
        const { userRef, provider, label, value } = input.body;
        const result = await byok().put({ tenant, userRef, provider, label, value: new SecretValue(value) });
        await record(input, 'byok-key-put', { tenant, userRef, provider, label: label ?? 'default', stored: result.stored, status: result.validation.status, keyId: result.key?.id ?? null });
        return { stored: result.stored, key: result.key === null ? null : keyWire(result.key), validation: result.validation };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/byok/{tenant}/keys',
      operationId: 'byok-list',
      summary: "A tenant's keys, metadata only (provider, hint, created, last validated, last used, status)",
      tag: 'byok',
      auth: 'byok-token',
      params: tenantParams,
      query: z.object({ user: name.optional(), after: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }).strict(),
      response: z.array(keySchema),
      async handle(input) {
        const tenant = granted(input);
        return (await byok().list(tenant, { userRef: input.query.user, afterId: input.query.after, limit: input.query.limit })).map(keyWire);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/byok/{tenant}/use',
      operationId: 'byok-get',
      summary: "A user's key for one use (by id, or by user, provider and label); every use is counted",
      tag: 'byok',
      auth: 'byok-token',
      params: tenantParams,
      body: z.union([
        z.object({ id: z.string().min(1).max(64) }).strict(),
        z.object({ userRef: name, provider: z.enum(BYOK_PROVIDERS), label: name.optional() }).strict(),
      ]),
      response: z.object({ key: keySchema, value: z.string() }).meta({ id: 'ByokKeyForUse' }),
      async handle(input) {
        const tenant = granted(input);
        const { key, value } = await byok().get(tenant, input.body);
        return { key: keyWire(key), value: value.reveal() };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/byok/{tenant}/keys/{id}',
      operationId: 'byok-delete',
      summary: "Forget a user's key (rekey never revokes it at the provider)",
      tag: 'byok',
      auth: 'byok-token',
      params: keyParams,
      response: z.object({ deleted: z.literal(true) }),
      async handle(input) {
        const tenant = granted(input);
        await byok().delete(tenant, input.params.id);
        await record(input, 'byok-key-delete', { tenant, keyId: input.params.id });
        return { deleted: true as const };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/byok/{tenant}/keys/{id}/check',
      operationId: 'byok-check',
      summary: 'Re-validate a key now (one cheap authenticated call); a bad result sends the owner a notice',
      tag: 'byok',
      auth: 'byok-token',
      params: keyParams,
      response: z.object({ key: keySchema, validation: validationSchema, notice: z.string().nullable() }),
      async handle(input) {
        const tenant = granted(input);
        const result = await byok().check(tenant, input.params.id);
        return { key: keyWire(result.key), validation: result.validation, notice: result.notice };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/byok/{tenant}/keys/{id}/failures',
      operationId: 'byok-report-failure',
      summary: 'The application saw a 401/402/403/429 with this key: re-check it now (at most once a minute per key)',
      tag: 'byok',
      auth: 'byok-token',
      params: keyParams,
      body: z.object({ status: z.number().int().min(100).max(599) }).strict(),
      response: z.object({ key: keySchema, rechecked: z.boolean(), notice: z.string().nullable() }),
      async handle(input) {
        const tenant = granted(input);
        const result = await byok().reportFailure(tenant, input.params.id, input.body.status);
        return { key: keyWire(result.key), rechecked: result.rechecked, notice: result.notice };
      },
    }),
  ];
}
