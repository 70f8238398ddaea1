/**
 * Consumers over the management API: list (`read-metadata`), add, update and remove
 * (`manage-consumers`: a consumer's reload action runs on the server, so this capability
 * is as strong as it sounds). Sink options and reload actions are validated by their own
 * factories before anything is stored.
 */
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import { createReloadAction } from '../../sinks/reload-registry.js';
import { createSink } from '../../sinks/sink-registry.js';
import { SINK_KINDS } from '../../sinks/sink-spec.js';
import { requireCredential } from '../../vault/credential-service.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import { credentialTargetNamed, type ApiServices } from '../api/api-services.js';
import { consumerSchema, consumerWire, credentialNameParam } from '../api/api-schemas.js';

export const addConsumerBody = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
    kind: z.enum(SINK_KINDS),
    config: z.record(z.string(), z.unknown()),
    reload: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .strict()
  .meta({ id: 'ConsumerAdd' });

export const updateConsumerBody = z
  .object({ config: z.record(z.string(), z.unknown()).optional(), reload: z.record(z.string(), z.unknown()).nullable().optional().describe('null: no reload action; absent: unchanged') })
  .strict()
  .meta({ id: 'ConsumerUpdate' });

export function consumerApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  const on = (capability: 'read-metadata' | 'manage-consumers') => async ({ params }: { params: { name: string } }) => ({ capability, target: await credentialTargetNamed(store, params.name) });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/credentials/{name}/consumers',
      operationId: 'consumer-list',
      summary: 'The consumers of a credential',
      tag: 'consumers',
      params: z.object({ name: credentialNameParam }),
      response: z.array(consumerSchema),
      access: on('read-metadata'),
      async handle({ params }) {
        return (await store.listConsumers((await requireCredential(store, params.name)).id)).map(consumerWire);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/credentials/{name}/consumers',
      operationId: 'consumer-add',
      summary: 'Add a consumer: a sink the key is written to on every rotation, with an optional reload action',
      tag: 'consumers',
      params: z.object({ name: credentialNameParam }),
      body: addConsumerBody,
      response: consumerSchema,
      status: 201,
      access: on('manage-consumers'),
      async handle({ params, body, actor }) {
        const credential = await requireCredential(store, params.name);
        const reload = body.reload ?? null;
        await createSink({ name: body.name, kind: body.kind, config: body.config }, services.fingerprintSalt);
        if (reload !== null && reload['kind'] !== undefined) await createReloadAction(body.name, reload);
        const created = await store.addConsumer({ credentialId: credential.id, name: body.name, kind: body.kind, config: body.config, reload });
        await actor.audit.record({ event: 'consumer-add', actor: actor.name, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { consumer: body.name, kind: body.kind } });
        return consumerWire(created);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/credentials/{name}/consumers/{consumer}',
      operationId: 'consumer-update',
      summary: "Mend a consumer in place: its sink options and reload action (name and kind stay); answers what changed",
      tag: 'consumers',
      params: z.object({ name: credentialNameParam, consumer: z.string().min(1).max(64) }),
      body: updateConsumerBody,
      response: z.object({ consumer: consumerSchema, changed: z.array(z.string()) }).meta({ id: 'ConsumerUpdated' }),
      access: on('manage-consumers'),
      async handle({ params, body, actor }) {
        const credential = await requireCredential(store, params.name);
        const existing = (await store.listConsumers(credential.id)).find((consumer) => consumer.name === params.consumer);
        if (existing === undefined) throw new NotFoundError(`${params.name} has no consumer named ${params.consumer}`);
        const config = body.config ?? existing.config;
        const reload = body.reload === undefined ? existing.reload : body.reload;
        await createSink({ name: existing.name, kind: existing.kind, config }, services.fingerprintSalt);
        if (reload !== null && reload['kind'] !== undefined) await createReloadAction(existing.name, reload);
        const changed = [
          ...(JSON.stringify(config) === JSON.stringify(existing.config) ? [] : ['sink options']),
          ...(body.reload !== undefined && JSON.stringify(reload) !== JSON.stringify(existing.reload) ? ['reload'] : []),
        ];
        if (changed.length === 0) return { consumer: consumerWire(existing), changed };
        const updated = await store.updateConsumer(credential.id, existing.name, { config, ...(changed.includes('reload') ? { reload } : {}) });
        await actor.audit.record({ event: 'consumer-update', actor: actor.name, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { consumer: existing.name, kind: existing.kind, changed, config, reload: updated.reload } });
        return { consumer: consumerWire(updated), changed };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/credentials/{name}/consumers/{consumer}',
      operationId: 'consumer-remove',
      summary: 'Remove a consumer (its target is left as it is)',
      tag: 'consumers',
      params: z.object({ name: credentialNameParam, consumer: z.string().min(1).max(64) }),
      response: z.object({ removed: z.string(), credential: z.string() }),
      access: on('manage-consumers'),
      async handle({ params, actor }) {
        const credential = await requireCredential(store, params.name);
        if (!(await store.listConsumers(credential.id)).some((consumer) => consumer.name === params.consumer)) {
          throw new NotFoundError(`${params.name} has no consumer named ${params.consumer}`);
        }
        await store.removeConsumer(credential.id, params.consumer);
        await actor.audit.record({ event: 'consumer-remove', actor: actor.name, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { consumer: params.consumer } });
        return { removed: params.consumer, credential: params.name };
      },
    }),
  ];
}
