/** What the policy engine reads and produces: findings, the optional live state, and small helpers over a loaded file. */
import { parseDurationSeconds } from '../core/duration.js';
import type { RuleId, Severity } from './policy-rule-ids.js';
import type { CredentialSpec, RekeyFile } from './policy-schema.js';
import type { SourceLocation } from './yaml-source.js';

export interface Finding {
  rule: RuleId | 'schema';
  severity: Severity;
  message: string;
  /** The credential, schedule or project the finding is about. */
  subject: string;
  /** Dotted field path in the merged file. */
  field: string;
  location: SourceLocation;
  /** Set when an open exception covers the finding: it is reported, not counted. */
  exception?: { reason: string; expires: string } | undefined;
}

/** Live facts the rules check when `rekey check --live` reads the store and the provider. */
export interface LiveState {
  credentials: Map<string, {
    currentCreatedAt: Date | null;
    /** Fingerprints of the pending, current and previous versions. */
    liveFingerprints: string[];
  }>;
  /** OpenAI project id → the model permissions set at the provider (null: none set). */
  openaiModelPermissions?: Map<string, { mode: 'allow_list' | 'deny_list'; models: string[] } | null> | undefined;
}

export interface RuleContext {
  file: RekeyFile;
  locate(path: ReadonlyArray<string | number>): SourceLocation;
  locateKey(path: ReadonlyArray<string | number>): SourceLocation;
  now: Date;
  live?: LiveState | undefined;
}

export type RuleFinding = Omit<Finding, 'rule' | 'severity' | 'exception'>;

export interface PolicyRule {
  id: RuleId;
  /** Default severity; `policies.rules.<id>.severity` may change it or turn the rule off. */
  severity: Severity;
  title: string;
  description: string;
  evaluate(context: RuleContext): RuleFinding[];
}

export function environmentOf(name: string, spec: Pick<CredentialSpec, 'environment'>): string {
  return spec.environment ?? name.split('/').at(-1) ?? '';
}

export function serviceOf(name: string, spec: Pick<CredentialSpec, 'service'>): string {
  return spec.service ?? name.split('/')[1] ?? name;
}

export function isProduction(file: RekeyFile, environment: string): boolean {
  return file.policies.productionEnvironments.includes(environment);
}

export function durationSeconds(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDurationSeconds(text, 'duration');
}

/** The cadence a credential gets: its own, else the schedule covering its environment. */
export function effectiveCadenceDays(file: RekeyFile, name: string, spec: CredentialSpec): number | undefined {
  if (spec.policy.rotateEveryDays !== undefined) return spec.policy.rotateEveryDays;
  const environment = environmentOf(name, spec);
  return Object.values(file.schedules).find((schedule) => schedule.environments.includes(environment))?.every;
}

export const DAY_MS = 86_400_000;
