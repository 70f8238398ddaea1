/**
 * The engine's part of a rotation record (`RotationRecord.data`): the machine context and
 * what the steps learned (provider key ids, timings). JSON only, never a key value.
 * The store keeps it as JSON; `readRotationData` parses it through the schema below, so a
 * record this engine cannot read fails with the rotation id and the field, not later.
 */
import { z } from 'zod';
import { StoreError } from '../core/errors.js';
import type { RotationRecord } from '../core/types.js';
import type { HoldInfo, ResumableStateName, RotationContext } from './rotation-machine-types.js';

const RESUMABLE_STATES = [
  'emergency-revoke',
  'mint',
  'test',
  'deliver',
  'promote',
  'grace',
  'revoke',
  'finish',
  'rollback',
] as const satisfies readonly ResumableStateName[];

const holdSchema: z.ZodType<HoldInfo> = z.object({
  reason: z.string(),
  resumeTo: z.enum(RESUMABLE_STATES),
  holders: z.array(z.string()),
});

const contextSchema: z.ZodType<RotationContext> = z.object({
  mode: z.enum(['standard', 'emergency']),
  emergencyPath: z.enum(['mint-first', 'revoke-first']).nullable(),
  oldVersion: z.number().int(),
  pendingVersion: z.number().int().nullable(),
  promoteStarted: z.boolean(),
  oldRevoked: z.boolean(),
  hold: holdSchema.nullable(),
  rollbackOutcome: z.enum(['rolled-back', 'failed']).nullable(),
  afterEmergencyRevoke: holdSchema.nullable(),
  failure: z.string().nullable(),
});

const providerKeyRefSchema = z.object({
  providerKeyId: z.string().nullable(),
  providerData: z.record(z.string(), z.string()),
  fingerprint: z.string(),
});

const optionsSchema = z.object({
  graceQuietSeconds: z.number(),
  graceMaxSeconds: z.number(),
  /** Who started it (`cli:alice`, `scheduler`, `scan:finding-12`). */
  actor: z.string(),
  /** Staged runs: which stage this rotation is. */
  stage: z.string().optional(),
});

const deliverySchema = z.object({
  consumer: z.string(),
  sink: z.string(),
  verified: z.enum(['match', 'unverifiable']),
  reloaded: z.boolean(),
});

const rotationDataSchema = z.object({
  machine: contextSchema,
  options: optionsSchema,
  credentialName: z.string(),
  oldKey: providerKeyRefSchema.nullable(),
  newKey: providerKeyRefSchema.nullable(),
  /** ISO times, set once. */
  startedAt: z.string(),
  graceStartedAt: z.string().optional(),
  oldKeyDeadAt: z.string().optional(),
  emergencyDeadline: z.string().optional(),
  /** Per step: ISO begin and end of its last run. */
  timings: z.record(z.string(), z.object({ begin: z.string(), end: z.string().optional() })),
  deliveries: z.array(deliverySchema).optional(),
  /** The last grace decision, for `rotations show`. */
  grace: z.object({ action: z.string(), reason: z.string(), at: z.string() }).optional(),
  /** Drill: consumers seen using the old key that the consumer list does not know. */
  forgottenConsumers: z.array(z.string()).optional(),
  notes: z.array(z.string()).optional(),
});

export type ProviderKeyRef = z.infer<typeof providerKeyRefSchema>;
export type RotationOptionsData = z.infer<typeof optionsSchema>;
export type DeliveryRecord = z.infer<typeof deliverySchema>;
export type RotationData = z.infer<typeof rotationDataSchema>;

/** The engine data of a stored rotation; a StoreError naming the rotation and the field when it does not fit. */
export function readRotationData(record: Pick<RotationRecord, 'id' | 'data'>): RotationData {
  const parsed = rotationDataSchema.safeParse(record.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'its data' : issue.path.join('.');
    throw new StoreError(`rotation ${record.id} has data this version of rekey cannot read: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function toRecordData(data: RotationData): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}
