/**
 * Rotations over the management API: plan (dry run), start (`rotate`, or
 * `emergency-rotate`), list, show, resume, rollback and abort (`rotate`), end grace
 * (`end-grace`). Starting and resuming answer when the rotation stops (done, held,
 * waiting for a value, failed), as `rekey rotate` does; its events carry the person.
 */
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';
import type { RotationRecord } from '../../core/types.js';
import { isHolderGone } from '../../rotation/lease-holder.js';
import { readRotationData } from '../../rotation/rotation-data.js';
import { findDue, runDue } from '../../rotation/rotation-schedule.js';
import type { StartRotationRequest } from '../../rotation/rotation-executor.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import { credentialTargetNamed, targetOf, visibleTo, type ApiServices } from '../api/api-services.js';
import { rotationRowSchema, rotationRowWire } from '../api/api-schemas.js';
import { rotationDetailSchema, rotationOutcomeSchema, rotationOutcomeWire, rotationPlanSchema } from '../api/rotation-wire.js';

export const startRotationBody = z
  .object({
    credential: z.string().min(1).max(200),
    emergency: z.boolean().optional(),
    emergencyPath: z.enum(['mint-first', 'revoke-first']).optional(),
    kind: z.enum(['manual', 'drill']).optional(),
    graceQuietSeconds: z.number().int().min(0).optional(),
    graceMaxSeconds: z.number().int().min(0).optional(),
    value: z.string().min(1).max(10_000).optional().describe('the new key, for providers that cannot mint by API'),
  })
  .strict()
  .meta({ id: 'RotationStart' });

const idParams = z.object({ id: z.string().min(1).max(100) });

const dueRotationBody = z
  .object({ dryRun: z.boolean().optional(), graceQuietSeconds: z.number().min(0).optional(), graceMaxSeconds: z.number().min(0).optional() })
  .strict()
  .meta({ id: 'DueRotationRun' });
export const dueSchema = z
  .object({ credential: z.string(), version: z.number().int(), ageDays: z.number(), rotateEveryDays: z.number(), dueSince: z.string(), activeRotation: z.object({ id: z.string(), state: z.string() }).nullable() })
  .meta({ id: 'DueCredential' });

export function rotationApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  async function rotationNamed(id: string): Promise<RotationRecord> {
    const record = await store.getRotation(id);
    if (record === undefined) throw new NotFoundError(`no rotation ${id}`, { hint: 'list them with `rekey rotations list`' });
    return record;
  }
  async function onRotation(id: string, capability: 'read-metadata' | 'rotate' | 'end-grace') {
    const record = await rotationNamed(id);
    const credential = await store.getCredentialById(record.credentialId);
    if (credential === undefined) throw new NotFoundError(`rotation ${id} belongs to a credential that no longer exists`);
    return { capability, target: targetOf(credential) };
  }
  function startRequest(body: z.infer<typeof startRotationBody>, actor: string): StartRotationRequest {
    return {
      credential: body.credential,
      kind: body.emergency === true ? 'emergency' : (body.kind ?? 'manual'),
      emergencyPath: body.emergencyPath,
      graceQuietSeconds: body.graceQuietSeconds,
      graceMaxSeconds: body.graceMaxSeconds,
      suppliedValue: body.value === undefined ? undefined : new SecretValue(body.value),
      actor,
    };
  }
  const startAccess = async ({ body }: { body: z.infer<typeof startRotationBody> }) => ({
    capability: body.emergency === true ? ('emergency-rotate' as const) : ('rotate' as const),
    target: await credentialTargetNamed(store, body.credential),
  });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/rotations/due',
      operationId: 'rotation-due',
      summary: 'Rotate every credential whose policy cadence has passed (dryRun: only list them); needs rotate on each due credential',
      tag: 'rotations',
      body: dueRotationBody,
      response: z.object({ due: z.array(dueSchema), results: z.array(z.object({ credential: z.string(), skipped: z.boolean(), error: z.string().nullable(), outcome: rotationOutcomeSchema.nullable() })).nullable() }).meta({ id: 'DueRotations' }),
      async access() {
        const due = await findDue(store, services.clock);
        return Promise.all(due.map(async (item) => ({ capability: 'rotate' as const, target: await credentialTargetNamed(store, item.credential) })));
      },
      async handle({ body, actor }) {
        const due = (await findDue(store, services.clock)).map((item) => ({ ...item, dueSince: item.dueSince.toISOString() }));
        if (body.dryRun === true) return { due, results: null };
        const executor = await services.rotations(actor.audit);
        const results = await runDue({ store, executor, clock: services.clock }, { actor: actor.name, graceQuietSeconds: body.graceQuietSeconds, graceMaxSeconds: body.graceMaxSeconds });
        return { due, results: results.map((result) => ({ credential: result.credential, skipped: result.skipped, error: result.error, outcome: result.outcome === null ? null : rotationOutcomeWire(result.outcome) })) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/rotations/plan',
      operationId: 'rotation-plan',
      summary: 'What a rotation would do (steps, consumers and their diffs, problems); changes nothing',
      tag: 'rotations',
      body: startRotationBody,
      response: rotationPlanSchema,
      access: startAccess,
      async handle({ body, actor }) {
        return (await services.rotations(actor.audit)).plan(startRequest(body, actor.name));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/rotations',
      operationId: 'rotation-start',
      summary: 'Rotate a credential (emergency: revoke the old key at once); answers when the rotation stops',
      tag: 'rotations',
      body: startRotationBody,
      response: rotationOutcomeSchema,
      status: 201,
      access: startAccess,
      async handle({ body, actor }) {
        return rotationOutcomeWire(await (await services.rotations(actor.audit)).start(startRequest(body, actor.name)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/rotations',
      operationId: 'rotation-list',
      summary: 'Rotations of the credentials the caller may read, newest first',
      tag: 'rotations',
      query: z.object({ credential: z.string().optional(), active: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }).strict(),
      response: z.array(rotationRowSchema),
      async handle({ query, actor }) {
        const filter: { credentialId?: string; active?: boolean; limit?: number } = { limit: query.limit ?? 50 };
        if (query.credential !== undefined) {
          const credential = await store.getCredential(query.credential);
          if (credential === undefined) throw new NotFoundError(`no credential named ${query.credential}`);
          filter.credentialId = credential.id;
        }
        if (query.active === 'true') filter.active = true;
        const records = await store.listRotations(filter);
        const credentials = new Map<string, Awaited<ReturnType<typeof store.getCredentialById>>>();
        for (const record of records) if (!credentials.has(record.credentialId)) credentials.set(record.credentialId, await store.getCredentialById(record.credentialId));
        const visible = new Set((await visibleTo(services, actor.user, [...credentials.values()].flatMap((item) => (item === undefined ? [] : [item])))).map((item) => item.id));
        return records.filter((record) => visible.has(record.credentialId)).map((record) => rotationRowWire(record, credentials.get(record.credentialId)?.name ?? record.credentialId));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/rotations/{id}',
      operationId: 'rotation-show',
      summary: 'A rotation: state, versions, timings, deliveries and its step journal',
      tag: 'rotations',
      params: idParams,
      response: rotationDetailSchema,
      access: ({ params }) => onRotation(params.id, 'read-metadata'),
      async handle({ params }) {
        const record = await rotationNamed(params.id);
        const data = readRotationData(record);
        const journal = await store.listJournal(params.id);
        const outcome = rotationOutcomeWire({ rotationId: record.id, credential: data.credentialName, state: record.state as never, hold: data.machine.hold, failure: data.machine.failure, record, data });
        return {
          ...outcome,
          options: { ...data.options },
          error: record.error,
          journal: journal.map((entry) => ({ seq: entry.seq, at: entry.at.toISOString(), step: entry.step, phase: entry.phase, detail: entry.detail })),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/rotations/{id}/resume',
      operationId: 'rotation-resume',
      summary: 'Continue a rotation after a crash or a hold, or with the key a person created',
      tag: 'rotations',
      params: idParams,
      body: z.object({ value: z.string().min(1).max(10_000).optional() }).strict(),
      response: rotationOutcomeSchema,
      access: ({ params }) => onRotation(params.id, 'rotate'),
      async handle({ params, body, actor }) {
        const executor = await services.rotations(actor.audit);
        return rotationOutcomeWire(await executor.resume(params.id, { actor: actor.name, suppliedValue: body.value === undefined ? undefined : new SecretValue(body.value) }));
      },
    }),
    ...(['rollback', 'abort'] as const).map((decision) =>
      defineRoute({
        method: 'post',
        path: `/v1/rotations/{id}/${decision}`,
        operationId: `rotation-${decision}`,
        summary: decision === 'rollback' ? 'Roll back: before promote discard the new key; after promote make the old key current again' : 'Abort before promote: discard and revoke the pending key',
        tag: 'rotations',
        params: idParams,
        response: rotationOutcomeSchema,
        access: ({ params }) => onRotation(params.id, 'rotate'),
        async handle({ params, actor }) {
          return rotationOutcomeWire(await (await services.rotations(actor.audit)).decide(params.id, decision, actor.name));
        },
      }),
    ),
    defineRoute({
      method: 'post',
      path: '/v1/rotations/{id}/end-grace',
      operationId: 'rotation-end-grace',
      summary: 'End the grace now and revoke the old key (asks the worker running it, or ends it here)',
      tag: 'rotations',
      params: idParams,
      response: z.union([rotationOutcomeSchema, z.object({ rotation: z.string(), requested: z.literal('end-grace') })]),
      access: ({ params }) => onRotation(params.id, 'end-grace'),
      async handle({ params, actor }) {
        const executor = await services.rotations(actor.audit);
        const record = await rotationNamed(params.id);
        const lease = await store.getLease(`rotation:${record.credentialId}`);
        const workerLive = lease !== undefined && lease.expiresAt > services.clock.now() && !isHolderGone(lease.holder);
        if (record.state === 'grace' && workerLive) {
          await executor.request(params.id, 'end-grace', { actor: actor.name, reason: 'asked through the API' });
          return { rotation: params.id, requested: 'end-grace' as const };
        }
        return rotationOutcomeWire(await executor.decide(params.id, 'end-grace', actor.name));
      },
    }),
  ];
}
