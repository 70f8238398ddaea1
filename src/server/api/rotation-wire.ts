/**
 * Rotation outcomes and plans on the wire: the shape `rekey rotate --json` prints, which
 * the CLI in server mode prints back unchanged.
 */
import { z } from 'zod';
import type { RotationOutcome } from '../../rotation/rotation-executor.js';

const loose = z.record(z.string(), z.unknown());

export const rotationOutcomeSchema = z
  .object({
    rotation: z.string(),
    credential: z.string(),
    kind: z.enum(['manual', 'scheduled', 'emergency', 'drill']),
    state: z.string(),
    hold: z.object({ reason: z.string(), holders: z.array(z.string()) }).loose().nullable(),
    failure: z.string().nullable(),
    from: z.number().int().nullable(),
    to: z.number().int().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    graceStartedAt: z.string().nullable(),
    oldKeyDeadAt: z.string().nullable(),
    secondsToOldKeyDead: z.number().nullable(),
    deliveries: z.array(loose),
    grace: loose.nullable(),
    forgottenConsumers: z.array(z.string()).nullable(),
    timings: z.record(z.string(), loose),
  })
  .meta({ id: 'RotationOutcome' });
export type RotationOutcomeWire = z.infer<typeof rotationOutcomeSchema>;

export function rotationOutcomeWire(outcome: RotationOutcome): RotationOutcomeWire {
  const { data, record } = outcome;
  return {
    rotation: outcome.rotationId,
    credential: outcome.credential,
    kind: record.kind,
    state: outcome.state,
    hold: outcome.hold === null ? null : { ...outcome.hold },
    failure: outcome.failure,
    from: data.machine.oldVersion,
    to: data.machine.pendingVersion,
    startedAt: data.startedAt,
    finishedAt: record.finishedAt?.toISOString() ?? null,
    graceStartedAt: data.graceStartedAt ?? null,
    oldKeyDeadAt: data.oldKeyDeadAt ?? null,
    secondsToOldKeyDead: data.oldKeyDeadAt === undefined ? null : (new Date(data.oldKeyDeadAt).getTime() - new Date(data.startedAt).getTime()) / 1000,
    deliveries: (data.deliveries ?? []) as unknown as Array<Record<string, unknown>>,
    grace: data.grace ?? null,
    forgottenConsumers: data.forgottenConsumers ?? null,
    timings: data.timings,
  };
}

export const rotationPlanSchema = z
  .object({
    credential: z.string(),
    provider: z.string(),
    mode: z.enum(['standard', 'emergency']),
    emergencyPath: z.enum(['mint-first', 'revoke-first']).nullable(),
    current: z.object({ version: z.number().int(), hint: z.string(), fingerprint: z.string() }).nullable(),
    nextVersion: z.number().int(),
    steps: z.array(z.string()),
    grace: z.object({ quietSeconds: z.number(), maxSeconds: z.number() }),
    consumers: z.array(z.object({ name: z.string(), sink: z.string(), reload: z.string().nullable(), diff: z.array(z.string()) })),
    problems: z.array(z.string()),
  })
  .meta({ id: 'RotationPlan' });

export const journalEntrySchema = z.object({ seq: z.number().int(), at: z.string(), step: z.string(), phase: z.string(), detail: loose }).meta({ id: 'JournalEntry' });

export const rotationDetailSchema = rotationOutcomeSchema
  .extend({
    journal: z.array(journalEntrySchema),
    options: z.object({ graceQuietSeconds: z.number(), graceMaxSeconds: z.number() }).loose(),
    error: z.string().nullable(),
  })
  .meta({ id: 'RotationDetail' });
