/** What `rekey plan` finds and `rekey apply` carries out: changes it can make, drift it can only report. */
import type { ModelPermissions, RateLimitChange } from '../providers/openai/openai-project-settings.js';
import type { DesiredConsumer, DesiredCredential } from './desired-state.js';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export type PlanChange =
  | { kind: 'credential-create'; subject: string; desired: DesiredCredential }
  | { kind: 'credential-update'; subject: string; desired: DesiredCredential; fields: FieldChange[] }
  | { kind: 'credential-remove'; subject: string; liveVersions: number }
  | { kind: 'consumer-add'; subject: string; credential: string; consumer: DesiredConsumer }
  | { kind: 'consumer-replace'; subject: string; credential: string; consumer: DesiredConsumer; fields: FieldChange[] }
  | { kind: 'consumer-remove'; subject: string; credential: string; consumer: string }
  | { kind: 'governance-update'; subject: string; json: string; fields: FieldChange[] }
  | { kind: 'openai-model-permissions'; subject: string; projectId: string; from: ModelPermissions | null; to: ModelPermissions }
  | { kind: 'openai-spend-limit'; subject: string; projectId: string; from: number | null; to: number }
  | { kind: 'openai-rate-limit'; subject: string; projectId: string; rateLimitId: string; model: string; from: RateLimitChange; to: RateLimitChange };

export type PlanChangeKind = PlanChange['kind'];

export interface PlanDrift {
  kind: 'unmanaged-credential' | 'unmanaged-project' | 'unmanaged-key' | 'missing-project' | 'missing-rate-limit';
  subject: string;
  message: string;
}

export interface Plan {
  changes: PlanChange[];
  drift: PlanDrift[];
  /** True when the provider was compared too. */
  providerChecked: boolean;
}

/** terraform plan -detailed-exitcode: 0 in sync, 2 changes or drift. (1 is an error, thrown.) */
export function planExitCode(plan: Plan): number {
  return plan.changes.length > 0 || plan.drift.length > 0 ? 2 : 0;
}

export function isProviderChange(change: PlanChange): boolean {
  return change.kind.startsWith('openai-');
}
