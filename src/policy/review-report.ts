/**
 * `rekey report review`, the quarterly access review: who has which capabilities (roles
 * and bindings in the governance document, live access tokens), tokens unused for N days,
 * credentials overdue, consumers never confirmed on a key, exceptions expiring soon.
 */
import type { AuditEvent } from '../core/types.js';
import type { Store } from '../store/store.js';
import { GOVERNANCE_SETTING, type GovernanceDocument } from './desired-state.js';
import { DAY_MS } from './policy-model.js';

export interface ReviewReport {
  generatedAt: string;
  capabilities: Array<{ subject: string; role: string; capabilities: string[]; scope: string }>;
  tokens: Array<{ name: string; kind: string; credentials: string[]; createdAt: string; lastUsedAt: string | null; unused: boolean }>;
  overdue: Array<{ credential: string; ageDays: number; limitDays: number }>;
  unconfirmedConsumers: Array<{ credential: string; consumer: string }>;
  expiringExceptions: Array<{ rule: string; credential: string | null; expires: string; reason: string }>;
}

export async function buildReviewReport(
  deps: { store: Pick<Store, 'listCredentials' | 'getVersionByStage' | 'listConsumers' | 'getSetting' | 'listAudit'>; tokens?: () => Promise<Array<{ name: string; kind: string; credentials: string[]; createdAt: Date; revokedAt: Date | null }>>; lastUse?: (tokenName: string) => Promise<Date | null> },
  options: { now: Date; unusedDays: number; expiringDays: number },
): Promise<ReviewReport> {
  const { store } = deps;
  const text = await store.getSetting(GOVERNANCE_SETTING);
  const governance = text === undefined ? undefined : (JSON.parse(text) as GovernanceDocument);
  const roles = governance?.sections.roles ?? {};
  const capabilities = (governance?.sections.bindings ?? []).map((binding) => ({
    subject: binding.subject,
    role: binding.role,
    capabilities: roles[binding.role]?.capabilities ?? [],
    scope: `credentials ${binding.credentials.join(', ')}${binding.environments === undefined ? '' : `; environments ${binding.environments.join(', ')}`}`,
  }));
  const tokens: ReviewReport['tokens'] = [];
  for (const token of (await deps.tokens?.()) ?? []) {
    if (token.revokedAt !== null) continue;
    const lastUsedAt = (await deps.lastUse?.(token.name)) ?? null;
    const since = (lastUsedAt ?? token.createdAt).getTime();
    tokens.push({ name: token.name, kind: token.kind, credentials: token.credentials, createdAt: token.createdAt.toISOString(), lastUsedAt: lastUsedAt?.toISOString() ?? null, unused: options.now.getTime() - since > options.unusedDays * DAY_MS });
  }
  const confirmed = new Set<string>();
  for (let afterSeq = 0, guard = 0; guard < 10_000; guard += 1) {
    const page: AuditEvent[] = await store.listAudit({ afterSeq, limit: 1000 });
    for (const event of page) if (event.event === 'sink-write' && event.outcome === 'ok') confirmed.add(`${event.credential ?? ''}\u0000${String(event.detail['consumer'] ?? '')}`);
    const last = page.at(-1);
    if (page.length < 1000 || last === undefined) break;
    afterSeq = last.seq;
  }
  const overdue: ReviewReport['overdue'] = [];
  const unconfirmedConsumers: ReviewReport['unconfirmedConsumers'] = [];
  for (const credential of (await store.listCredentials()).sort((left, right) => left.name.localeCompare(right.name))) {
    const limit = credential.policy.maxAgeDays ?? credential.policy.rotateEveryDays;
    const current = await store.getVersionByStage(credential.id, 'current');
    if (limit !== undefined && current !== undefined) {
      const ageDays = Math.floor((options.now.getTime() - current.createdAt.getTime()) / DAY_MS);
      if (ageDays > limit) overdue.push({ credential: credential.name, ageDays, limitDays: limit });
    }
    for (const consumer of await store.listConsumers(credential.id)) {
      if (!confirmed.has(`${credential.name}\u0000${consumer.name}`)) unconfirmedConsumers.push({ credential: credential.name, consumer: consumer.name });
    }
  }
  const horizon = options.now.getTime() + options.expiringDays * DAY_MS;
  const expiringExceptions = (governance?.sections.policies?.exceptions ?? [])
    .filter((item) => Date.parse(`${item.expires}T23:59:59Z`) <= horizon)
    .map((item) => ({ rule: item.rule, credential: item.credential ?? null, expires: item.expires, reason: item.reason }));
  return { generatedAt: options.now.toISOString(), capabilities, tokens, overdue, unconfirmedConsumers, expiringExceptions };
}

export function formatReviewText(report: ReviewReport): string {
  const section = (title: string, lines: string[]) => [`${title} (${lines.length})`, ...(lines.length === 0 ? ['  none'] : lines.map((line) => `  ${line}`))];
  return [
    `rekey access review, ${report.generatedAt}`,
    ...section('Who has which capabilities', report.capabilities.map((item) => `${item.subject}: ${item.role} [${item.capabilities.join(', ')}] on ${item.scope}`)),
    ...section('Access tokens unused', report.tokens.filter((token) => token.unused).map((token) => `${token.name} (${token.kind}), last used ${token.lastUsedAt ?? 'never'}`)),
    ...section('Credentials overdue', report.overdue.map((item) => `${item.credential}: current key ${item.ageDays} d old, limit ${item.limitDays} d`)),
    ...section('Consumers never confirmed on a key', report.unconfirmedConsumers.map((item) => `${item.credential} → ${item.consumer}`)),
    ...section('Exceptions expired or expiring', report.expiringExceptions.map((item) => `${item.rule}${item.credential === null ? '' : ` on ${item.credential}`} expires ${item.expires}: ${item.reason}`)),
  ].join('\n') + '\n';
}
