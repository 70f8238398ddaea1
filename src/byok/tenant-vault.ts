/**
 * The tenant vault (issue 20): end users' own provider keys, kept for a SaaS application.
 * Each tenant has a data key wrapped by the master key; each value is sealed under it with
 * AAD = tenant + user + provider + key id (src/crypto/tenant-keys.ts). Every read names the
 * tenant, so another tenant's key id is as good as absent.
 *
 * Purging a tenant destroys its wrapped data key first (crypto-shredding), then proves it:
 * every remaining ciphertext of the tenant is tried against every key rekey still holds for
 * it (the current and next wrap, now gone) and the master key's own tenant wrapper, and the
 * failures are counted; only then are the rows removed.
 *
 * rekey never mints, rotates or revokes a BYOK key: the user does, the vault stores.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, CryptoError, NotFoundError, UsageError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import type { TenantDataKey, TenantWrapper } from '../crypto/tenant-keys.js';
import type {
  ByokKeyRecord,
  ByokProvider,
  ByokStatus,
  ByokTenantRecord,
  ByokTenantSettings,
} from '../store/byok-store-types.js';
import type { Store } from '../store/store.js';

export const DEFAULT_TENANT_SETTINGS: ByokTenantSettings = {
  reminderAgeDays: 90,
  unusedDays: null,
  noticeCadenceHours: 24,
  webhookUrl: null,
  fallback: { kind: 'none' },
  requiredModels: [],
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const WEBHOOK_SECRET_PURPOSE = 'webhook-secret';

export type ByokVaultStore = Pick<
  Store,
  | 'createByokTenant' | 'getByokTenant' | 'updateByokTenant' | 'shredByokTenantKey' | 'removeByokTenant'
  | 'putByokKey' | 'getByokKey' | 'findByokKey' | 'listByokKeys' | 'deleteByokKey' | 'recordByokUse' | 'setByokStatus'
  | 'findByokKeysByFingerprint' | 'listByokTenants'
>;

/** What a list shows: metadata only, never the value or its ciphertext. */
export interface ByokKeyInfo {
  id: string;
  tenant: string;
  userRef: string;
  provider: ByokProvider;
  label: string;
  hint: string;
  status: ByokStatus;
  statusDetail: string | null;
  createdAt: Date;
  lastValidatedAt: Date | null;
  lastUsedAt: Date | null;
  uses: number;
}

export function keyInfo(record: ByokKeyRecord): ByokKeyInfo {
  return {
    id: record.id,
    tenant: record.tenant,
    userRef: record.userRef,
    provider: record.provider,
    label: record.label,
    hint: record.hint,
    status: record.status,
    statusDetail: record.statusDetail,
    createdAt: record.createdAt,
    lastValidatedAt: record.validatedAt,
    lastUsedAt: record.lastUsedAt,
    uses: record.uses,
  };
}

export interface PurgeReport {
  tenant: string;
  /** Keys the tenant held. */
  keys: number;
  /** Of those, how many no key rekey holds could open after the data key was destroyed. */
  unreadable: number;
  /** How many still opened (must be 0; the purge fails otherwise and keeps the rows for inspection). */
  readable: number;
  dataKeyDestroyed: true;
  purgedAt: string;
}

export interface PutSealed {
  tenant: string;
  userRef: string;
  provider: ByokProvider;
  label: string;
  value: SecretValue;
  status: ByokStatus;
  statusDetail: string | null;
  validatedAt: Date | null;
  nextCheckAt: Date;
  /** When the key was stored (default now). */
  createdAt?: Date;
}

export interface TenantVault {
  createTenant(id: string, settings?: Partial<ByokTenantSettings>): Promise<{ tenant: ByokTenantRecord; webhookSecret: string | null }>;
  /** Replaces settings; a new webhook URL without a secret gets a fresh signing secret, returned once. */
  configureTenant(id: string, settings: Partial<ByokTenantSettings>, options?: { newWebhookSecret?: boolean }): Promise<{ tenant: ByokTenantRecord; webhookSecret: string | null }>;
  getTenant(id: string): Promise<ByokTenantRecord>;
  /** The tenant's webhook signing secret (for signing notices), or null. */
  webhookSecret(id: string): Promise<string | null>;
  putSealed(input: PutSealed): Promise<ByokKeyRecord>;
  /** The value of a key of this tenant; NotFoundError for an id of another tenant. Does not count a use. */
  open(tenant: string, id: string): Promise<{ record: ByokKeyRecord; value: SecretValue }>;
  find(tenant: string, userRef: string, provider: ByokProvider, label: string): Promise<ByokKeyRecord | undefined>;
  list(tenant: string, options?: { userRef?: string; afterId?: string; limit?: number }): Promise<ByokKeyInfo[]>;
  remove(tenant: string, id: string): Promise<void>;
  /** The tenant's fingerprint of a value (per-tenant salt), or undefined when the tenant's data key is gone. */
  fingerprintIn(tenant: ByokTenantRecord, value: string): string | undefined;
  purgeTenant(id: string, at: Date): Promise<PurgeReport>;
}

function checkName(what: string, value: string): void {
  if (!NAME.test(value)) throw new UsageError(`${what} "${value.slice(0, 40)}" must be 1-128 letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit`);
}

function webhookSecretFresh(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function checkSettings(settings: ByokTenantSettings): void {
  if (!(Number.isInteger(settings.reminderAgeDays) && settings.reminderAgeDays > 0)) throw new UsageError(`reminderAgeDays must be a whole number of days above 0, not ${settings.reminderAgeDays}`);
  if (settings.unusedDays !== null && !(Number.isInteger(settings.unusedDays) && settings.unusedDays > 0)) throw new UsageError(`unusedDays must be a whole number of days above 0 or null, not ${settings.unusedDays}`);
  if (!(settings.noticeCadenceHours > 0)) throw new UsageError(`noticeCadenceHours must be above 0, not ${settings.noticeCadenceHours}`);
  if (settings.webhookUrl !== null) {
    let url: URL;
    try {
      url = new URL(settings.webhookUrl);
    } catch {
      throw new UsageError('webhookUrl is not a URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))) {
      throw new UsageError('webhookUrl must be https (plain http only to loopback)');
    }
    if (url.username !== '' || url.password !== '') throw new UsageError('webhookUrl must not carry a user name or password');
  }
}

export function createTenantVault({ store, wrapper }: { store: ByokVaultStore; wrapper: TenantWrapper }): TenantVault {
  function dataKeyOf(tenant: ByokTenantRecord): TenantDataKey {
    if (tenant.purgedAt !== null || tenant.wrappedKey === null) throw new NotFoundError(`BYOK tenant ${tenant.id} was purged: its keys are unreadable`);
    if (tenant.masterKeyId === wrapper.masterKeyId) return wrapper.unwrap(tenant.id, tenant.wrappedKey);
    // A master-key rotation that wrote the next wraps but had not made them primary yet.
    if (tenant.nextMasterKeyId === wrapper.masterKeyId && tenant.nextWrappedKey !== null) return wrapper.unwrap(tenant.id, tenant.nextWrappedKey);
    throw new CryptoError(`BYOK tenant ${tenant.id} is wrapped under master key ${tenant.masterKeyId ?? '?'}, but the loaded master key is ${wrapper.masterKeyId}`, {
      hint: 'use the master key of this store, or finish an interrupted rekey master-key rotate',
    });
  }

  async function tenantOrThrow(id: string): Promise<ByokTenantRecord> {
    const tenant = await store.getByokTenant(id);
    if (tenant === undefined) throw new NotFoundError(`no BYOK tenant ${id}`, { hint: 'rekey byok tenant create <tenant>' });
    return tenant;
  }

  async function withDataKey<T>(tenant: ByokTenantRecord, work: (key: TenantDataKey) => T | Promise<T>): Promise<T> {
    const key = dataKeyOf(tenant);
    try {
      return await work(key);
    } finally {
      key.destroy();
    }
  }

  const vault: TenantVault = {
    async createTenant(id, settings = {}) {
      checkName('tenant id', id);
      const merged = { ...DEFAULT_TENANT_SETTINGS, ...settings };
      checkSettings(merged);
      const { dataKey, wrappedKey } = wrapper.newTenantKey(id);
      try {
        const webhookSecret = merged.webhookUrl === null ? null : webhookSecretFresh();
        const tenant = await store.createByokTenant({
          id,
          wrappedKey,
          masterKeyId: wrapper.masterKeyId,
          webhookSecretSealed: webhookSecret === null ? null : dataKey.sealSecret(WEBHOOK_SECRET_PURPOSE, webhookSecret),
          settings: merged,
          createdAt: new Date(),
        });
        return { tenant, webhookSecret };
      } finally {
        dataKey.destroy();
      }
    },

    async configureTenant(id, settings, options = {}) {
      const tenant = await tenantOrThrow(id);
      const merged = { ...tenant.settings, ...settings };
      checkSettings(merged);
      const needsSecret = merged.webhookUrl !== null && (tenant.webhookSecretSealed === null || options.newWebhookSecret === true);
      if (!needsSecret) return { tenant: await store.updateByokTenant(id, { settings: merged }), webhookSecret: null };
      const webhookSecret = webhookSecretFresh();
      const sealed = await withDataKey(tenant, (key) => key.sealSecret(WEBHOOK_SECRET_PURPOSE, webhookSecret));
      return { tenant: await store.updateByokTenant(id, { settings: merged, webhookSecretSealed: sealed }), webhookSecret };
    },

    getTenant: tenantOrThrow,

    async webhookSecret(id) {
      const tenant = await tenantOrThrow(id);
      if (tenant.webhookSecretSealed === null) return null;
      const sealed = tenant.webhookSecretSealed;
      return withDataKey(tenant, (key) => key.openSecret(WEBHOOK_SECRET_PURPOSE, sealed));
    },

    async putSealed(input) {
      checkName('user reference', input.userRef);
      checkName('label', input.label);
      const tenant = await tenantOrThrow(input.tenant);
      const id = `byok_${randomBytes(12).toString('base64url')}`;
      const value = input.value.reveal();
      return withDataKey(tenant, (key) =>
        store.putByokKey({
          id,
          tenant: input.tenant,
          userRef: input.userRef,
          provider: input.provider,
          label: input.label,
          ciphertext: key.seal(input.value, { userRef: input.userRef, provider: input.provider, keyId: id }),
          hint: redactHint(value),
          fingerprint: key.fingerprint(value),
          status: input.status,
          statusDetail: input.statusDetail,
          createdAt: input.createdAt ?? new Date(),
          validatedAt: input.validatedAt,
          nextCheckAt: input.nextCheckAt,
        }),
      );
    },

    async open(tenantId, id) {
      const tenant = await tenantOrThrow(tenantId);
      const record = await store.getByokKey(tenantId, id);
      if (record === undefined) throw new NotFoundError(`no BYOK key ${id} in tenant ${tenantId}`);
      return withDataKey(tenant, (key) => ({
        record,
        value: key.open(record.ciphertext, { userRef: record.userRef, provider: record.provider, keyId: record.id }),
      }));
    },

    find: (tenant, userRef, provider, label) => store.findByokKey(tenant, userRef, provider, label),

    async list(tenant, options = {}) {
      await tenantOrThrow(tenant);
      return (await store.listByokKeys(tenant, options)).map(keyInfo);
    },

    async remove(tenant, id) {
      await store.deleteByokKey(tenant, id);
    },

    fingerprintIn(tenant, value) {
      if (tenant.purgedAt !== null || tenant.wrappedKey === null) return undefined;
      const key = dataKeyOf(tenant);
      try {
        return key.fingerprint(value);
      } finally {
        key.destroy();
      }
    },

    async purgeTenant(id, at) {
      const before = await tenantOrThrow(id);
      // Every key rekey could still open this tenant's values with, gathered before the shred…
      const candidates: TenantDataKey[] = [];
      for (const wrapped of [before.wrappedKey, before.nextWrappedKey]) {
        if (wrapped === null) continue;
        try {
          candidates.push(wrapper.unwrap(id, wrapped));
        } catch {
          // a wrap that does not open under this master key is no way in either
        }
      }
      for (const key of candidates) key.destroy();
      const shredded = await store.shredByokTenantKey(id, at);
      if (shredded.wrappedKey !== null || shredded.nextWrappedKey !== null) throw new ConflictError(`the data key of BYOK tenant ${id} is still stored after the purge`);
      // …and what is left after it: the tenant row as stored now, opened the normal way.
      let keys = 0;
      let readable = 0;
      let afterId: string | undefined;
      for (;;) {
        const page = await store.listByokKeys(id, { afterId, limit: 1000 });
        if (page.length === 0) break;
        for (const record of page) {
          keys += 1;
          let opened = false;
          try {
            const key = dataKeyOf(shredded);
            try {
              opened = key.opens(record.ciphertext, { userRef: record.userRef, provider: record.provider, keyId: record.id });
            } finally {
              key.destroy();
            }
          } catch {
            opened = false;
          }
          // The zeroed copies of the old data key must not open anything either.
          for (const key of candidates) {
            if (key.opens(record.ciphertext, { userRef: record.userRef, provider: record.provider, keyId: record.id })) opened = true;
          }
          if (opened) readable += 1;
        }
        afterId = page.at(-1)?.id;
      }
      if (readable > 0) throw new ConflictError(`${readable} of ${keys} keys of BYOK tenant ${id} still open after its data key was destroyed; the rows are kept for inspection`);
      await store.removeByokTenant(id);
      return { tenant: id, keys, unreadable: keys - readable, readable, dataKeyDestroyed: true, purgedAt: at.toISOString() };
    },
  };
  return vault;
}
