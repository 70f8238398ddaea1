/**
 * The five calls of bring-your-own-key (issue 20) as one service, shared by the routes of
 * `rekey serve`, the proxy and the CLI: `put` (shape, then one cheap authenticated call, then
 * seal), `get` (a SecretValue; every use counted), `list` (metadata), `delete`, `check`
 * (re-validate now), plus `reportFailure` (the application saw a 401/429 with the key: check
 * again at once, at most once a minute per key) and `round` (the scheduler's tick: periodic
 * re-validation at a bounded rate per provider, and age / unused reminders).
 */
import type { Clock } from '../core/clock.js';
import { NotFoundError, UsageError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import type { ByokKeyRecord, ByokProvider, ByokStatus, ByokTenantRecord } from '../store/byok-store-types.js';
import { BYOK_PROVIDERS } from '../store/byok-store-types.js';
import type { Store } from '../store/store.js';
import type { Notifier, NoticeReason, NoticeOutcome } from './byok-notices.js';
import type { KeyValidator, ValidationResult } from './key-validation.js';
import { keyInfo, type ByokKeyInfo, type TenantVault } from './tenant-vault.js';

const DAY = 86_400_000;

export interface ByokServiceOptions {
  store: Store;
  vault: TenantVault;
  validator: KeyValidator;
  notifier: Notifier;
  clock: Clock;
  /** How often a stored key is re-validated (default 24 h). */
  revalidateEveryMs?: number;
  /** At most this many re-validations per provider per round (default 20). */
  revalidationsPerRound?: number;
  /** A reported failure re-checks the key at most once per this (default 60 s). */
  reportRecheckMs?: number;
}

export interface PutResult {
  stored: boolean;
  key: ByokKeyInfo | null;
  validation: ValidationResult;
}

export interface RoundResult {
  revalidated: number;
  notices: Partial<Record<NoticeReason, number>>;
}

const BAD_STATUSES: Partial<Record<ByokStatus, NoticeReason>> = { invalid: 'invalid', 'no-quota': 'no-quota', 'no-model-access': 'no-model-access' };

export interface ByokService {
  put(input: { tenant: string; userRef: string; provider: ByokProvider; label?: string; value: SecretValue }): Promise<PutResult>;
  get(tenant: string, ref: { id: string } | { userRef: string; provider: ByokProvider; label?: string }): Promise<{ key: ByokKeyInfo; value: SecretValue }>;
  list(tenant: string, options?: { userRef?: string; afterId?: string; limit?: number }): Promise<ByokKeyInfo[]>;
  delete(tenant: string, id: string): Promise<void>;
  check(tenant: string, id: string): Promise<{ key: ByokKeyInfo; validation: ValidationResult; notice: NoticeOutcome | null }>;
  reportFailure(tenant: string, id: string, httpStatus: number): Promise<{ key: ByokKeyInfo; rechecked: boolean; notice: NoticeOutcome | null }>;
  round(): Promise<RoundResult>;
}

export function createByokService(options: ByokServiceOptions): ByokService {
  const { store, vault, validator, notifier, clock } = options;
  const revalidateEvery = options.revalidateEveryMs ?? DAY;
  const perRound = options.revalidationsPerRound ?? 20;
  const recheckMs = options.reportRecheckMs ?? 60_000;

  async function resolve(tenant: string, ref: { id: string } | { userRef: string; provider: ByokProvider; label?: string }): Promise<ByokKeyRecord> {
    const record = 'id' in ref ? await store.getByokKey(tenant, ref.id) : await vault.find(tenant, ref.userRef, ref.provider, ref.label ?? 'default');
    if (record === undefined) throw new NotFoundError(`no BYOK key ${'id' in ref ? ref.id : `for user ${ref.userRef} (${ref.provider}/${ref.label ?? 'default'})`} in tenant ${tenant}`);
    return record;
  }

  async function revalidate(tenant: ByokTenantRecord, record: ByokKeyRecord): Promise<{ record: ByokKeyRecord; validation: ValidationResult; notice: NoticeOutcome | null }> {
    const { value } = await vault.open(tenant.id, record.id);
    const validation = await validator(record.provider, value, tenant.settings.requiredModels);
    const now = clock.now();
    const bad = BAD_STATUSES[validation.status];
    const updated = await store.setByokStatus(tenant.id, record.id, {
      status: validation.status, statusDetail: validation.detail, validatedAt: now, nextCheckAt: new Date(now.getTime() + revalidateEvery),
      ...(bad === undefined ? {} : { failureAt: now }),
    });
    const notice = bad === undefined ? null : await notifier.notify(tenant, updated, bad, validation.detail);
    return { record: updated, validation, notice };
  }

  return {
    async put(input) {
      if (!(BYOK_PROVIDERS as readonly string[]).includes(input.provider)) throw new UsageError(`provider must be one of ${BYOK_PROVIDERS.join(', ')}, not "${String(input.provider).slice(0, 40)}"`);
      const tenant = await vault.getTenant(input.tenant);
      const validation = await validator(input.provider, input.value, tenant.settings.requiredModels);
      if (validation.status === 'invalid') return { stored: false, key: null, validation };
      const now = clock.now();
      const record = await vault.putSealed({
        tenant: input.tenant, userRef: input.userRef, provider: input.provider, label: input.label ?? 'default', value: input.value,
        status: validation.status, statusDetail: validation.detail, validatedAt: now, nextCheckAt: new Date(now.getTime() + revalidateEvery), createdAt: now,
      });
      return { stored: true, key: keyInfo(record), validation };
    },

    async get(tenant, ref) {
      const record = await resolve(tenant, ref);
      const { value } = await vault.open(tenant, record.id);
      const uses = await store.recordByokUse(tenant, record.id, clock.now());
      return { key: { ...keyInfo(record), uses, lastUsedAt: clock.now() }, value };
    },

    list: (tenant, listOptions) => vault.list(tenant, listOptions),

    delete: (tenant, id) => vault.remove(tenant, id),

    async check(tenantId, id) {
      const tenant = await vault.getTenant(tenantId);
      const result = await revalidate(tenant, await resolve(tenantId, { id }));
      return { key: keyInfo(result.record), validation: result.validation, notice: result.notice };
    },

    async reportFailure(tenantId, id, httpStatus) {
      if (!Number.isInteger(httpStatus) || httpStatus < 100 || httpStatus > 599) throw new UsageError(`status must be an HTTP status code, not ${httpStatus}`);
      const tenant = await vault.getTenant(tenantId);
      const record = await resolve(tenantId, { id });
      const recent = record.validatedAt !== null && clock.now().getTime() - record.validatedAt.getTime() < recheckMs;
      if (recent || ![401, 402, 403, 429].includes(httpStatus)) return { key: keyInfo(record), rechecked: false, notice: null };
      const result = await revalidate(tenant, record);
      return { key: keyInfo(result.record), rechecked: true, notice: result.notice };
    },

    async round() {
      const result: RoundResult = { revalidated: 0, notices: {} };
      const count = (reason: NoticeReason, outcome: NoticeOutcome | null) => {
        if (outcome === 'sent') result.notices[reason] = (result.notices[reason] ?? 0) + 1;
      };
      const tenants = new Map<string, ByokTenantRecord | undefined>();
      const tenantOf = async (id: string) => {
        if (!tenants.has(id)) tenants.set(id, await store.getByokTenant(id));
        return tenants.get(id);
      };
      const now = clock.now();
      for (const provider of BYOK_PROVIDERS) {
        for (const record of await store.listByokDue(provider, now, perRound)) {
          const tenant = await tenantOf(record.tenant);
          if (tenant === undefined || tenant.purgedAt !== null) continue;
          const checked = await revalidate(tenant, record);
          result.revalidated += 1;
          const bad = BAD_STATUSES[checked.validation.status];
          if (bad !== undefined) count(bad, checked.notice);
        }
      }
      let after: { tenant: string; id: string } | undefined;
      for (;;) {
        const page = await store.listAllByokKeys({ after, limit: 1000 });
        if (page.length === 0) break;
        for (const record of page) {
          const tenant = await tenantOf(record.tenant);
          if (tenant === undefined || tenant.purgedAt !== null) continue;
          if (now.getTime() - record.createdAt.getTime() > tenant.settings.reminderAgeDays * DAY) count('age', await notifier.notify(tenant, record, 'age'));
          const lastSeen = record.lastUsedAt ?? record.createdAt;
          if (tenant.settings.unusedDays !== null && now.getTime() - lastSeen.getTime() > tenant.settings.unusedDays * DAY) count('unused', await notifier.notify(tenant, record, 'unused'));
        }
        const last = page.at(-1);
        after = last === undefined ? undefined : { tenant: last.tenant, id: last.id };
      }
      return result;
    },
  };
}
