/** Display helpers: ages, dates and the policy status of a credential's current version. */
import type { Credential, Version } from './api.js';

const DAY = 86_400_000;

export function ageDays(from: string, now = Date.now()): number {
  return Math.floor((now - Date.parse(from)) / DAY);
}

export function shortDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
}

export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return 'never';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export type PolicyStatus = 'ok' | 'due soon' | 'overdue' | 'violation' | 'no policy';

/** Next due date by `rotateEveryDays` (else `maxAgeDays`) and the status: violation past maxAgeDays, overdue past due, due soon within 7 days. */
export function policyStatus(credential: Pick<Credential, 'policy'>, current: Pick<Version, 'createdAt'> | null, now = Date.now()): { status: PolicyStatus; due: string | null } {
  const every = credential.policy.rotateEveryDays ?? credential.policy.maxAgeDays;
  if (current === null) return { status: 'no policy', due: null };
  const born = Date.parse(current.createdAt);
  if (credential.policy.maxAgeDays !== undefined && now - born > credential.policy.maxAgeDays * DAY) {
    return { status: 'violation', due: new Date(born + credential.policy.maxAgeDays * DAY).toISOString() };
  }
  if (every === undefined) return { status: 'no policy', due: null };
  const due = born + every * DAY;
  return { status: now > due ? 'overdue' : due - now < 7 * DAY ? 'due soon' : 'ok', due: new Date(due).toISOString() };
}
