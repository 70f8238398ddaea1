/**
 * The engine's part of a rotation record (`RotationRecord.data`): the machine context and
 * what the steps learned (provider key ids, timings). JSON only, never a key value.
 */
import type { RotationContext } from './rotation-machine.js';

export interface ProviderKeyRef {
  providerKeyId: string | null;
  providerData: Record<string, string>;
  fingerprint: string;
}

export interface RotationOptionsData {
  graceQuietSeconds: number;
  graceMaxSeconds: number;
  /** Who started it (`cli:alice`, `scheduler`, `scan:finding-12`). */
  actor: string;
  /** Staged runs: which stage this rotation is. */
  stage?: string | undefined;
}

export interface DeliveryRecord {
  consumer: string;
  sink: string;
  verified: 'match' | 'unverifiable';
  reloaded: boolean;
}

export interface RotationData {
  machine: RotationContext;
  options: RotationOptionsData;
  credentialName: string;
  oldKey: ProviderKeyRef | null;
  newKey: ProviderKeyRef | null;
  /** ISO times, set once. */
  startedAt: string;
  graceStartedAt?: string | undefined;
  oldKeyDeadAt?: string | undefined;
  emergencyDeadline?: string | undefined;
  /** Per step: ISO begin and end of its last run. */
  timings: Record<string, { begin: string; end?: string | undefined }>;
  deliveries?: DeliveryRecord[] | undefined;
  /** The last grace decision, for `rotations show`. */
  grace?: { action: string; reason: string; at: string } | undefined;
  /** Drill: consumers seen using the old key that the consumer list does not know. */
  forgottenConsumers?: string[] | undefined;
  notes?: string[] | undefined;
}

export function readRotationData(data: Record<string, unknown>): RotationData {
  const candidate = data as unknown as RotationData;
  if (typeof candidate.machine !== 'object' || candidate.machine === null || typeof candidate.options !== 'object') {
    throw new TypeError('rotation record has no engine data');
  }
  return candidate;
}

export function toRecordData(data: RotationData): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}
