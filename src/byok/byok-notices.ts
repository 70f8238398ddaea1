/**
 * Notices to a key's owner through the SaaS application's channel (issue 20): a webhook to
 * the tenant's URL, signed per Standard Webhooks with the tenant's own secret (the alerts
 * channel's signer, src/alerts/channels/standard-webhooks.ts), carrying the user reference,
 * the key id, provider, label and the reason — never the value nor its hint. The same
 * notice about the same key is sent at most once per the tenant's cadence: the store claims
 * it first (`claimByokNotice`), and a failed delivery gives the claim back. The cadence runs
 * on the injected clock; the signature's timestamp is wall time (the receiver checks freshness).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { standardWebhookHeaders } from '../alerts/channels/standard-webhooks.js';
import type { ByokKeyRecord, ByokTenantRecord } from '../store/byok-store-types.js';
import type { Store } from '../store/store.js';

export const NOTICE_REASONS = ['invalid', 'no-quota', 'no-model-access', 'age', 'unused', 'leaked'] as const;
export type NoticeReason = (typeof NOTICE_REASONS)[number];

export interface NoticePayload {
  type: `byok.key.${NoticeReason}`;
  tenant: string;
  userRef: string;
  keyId: string;
  provider: string;
  label: string;
  reason: NoticeReason;
  /** A sentence for the user, value-free. */
  message: string;
  at: string;
}

export type NoticeOutcome = 'sent' | 'suppressed' | 'no-webhook' | 'failed';

export interface Notifier {
  notify(tenant: ByokTenantRecord, key: ByokKeyRecord, reason: NoticeReason, detail?: string): Promise<NoticeOutcome>;
}

function messageFor(reason: NoticeReason, key: ByokKeyRecord, tenant: ByokTenantRecord, detail: string | undefined): string {
  switch (reason) {
    case 'invalid': return `Your ${key.provider} key "${key.label}" is no longer accepted by ${key.provider}; add a new one.`;
    case 'no-quota': return `Your ${key.provider} key "${key.label}" is out of quota or credit at ${key.provider}.`;
    case 'no-model-access': return `Your ${key.provider} key "${key.label}" cannot reach a model this application needs${detail === undefined ? '' : ` (${detail})`}.`;
    case 'age': return `Your ${key.provider} key "${key.label}" is older than ${tenant.settings.reminderAgeDays} days; consider rotating it at ${key.provider} and storing the new one.`;
    case 'unused': return `Your ${key.provider} key "${key.label}" was not used for ${tenant.settings.unusedDays ?? 0} days; remove it if you no longer need it here.`;
    case 'leaked': return `Your ${key.provider} key "${key.label}" was found in a place it should not be; revoke it at ${key.provider} now and store a new one.`;
  }
}

export function createNotifier(options: {
  store: Pick<Store, 'claimByokNotice' | 'releaseByokNotice' | 'lastByokNotice'>;
  webhookSecret: (tenant: string) => Promise<string | null>;
  clock: Clock;
  fetch?: typeof fetch;
  onError?: (message: string) => void;
}): Notifier {
  const doFetch = options.fetch ?? fetch;
  return {
    async notify(tenant, key, reason, detail) {
      if (tenant.settings.webhookUrl === null) return 'no-webhook';
      const secret = await options.webhookSecret(tenant.id);
      if (secret === null) return 'no-webhook';
      const now = options.clock.now();
      const previous = await options.store.lastByokNotice(key.id, reason);
      const cadenceMs = tenant.settings.noticeCadenceHours * 3_600_000;
      if (!(await options.store.claimByokNotice(key.id, reason, now, cadenceMs))) return 'suppressed';
      const payload: NoticePayload = {
        type: `byok.key.${reason}`, tenant: tenant.id, userRef: key.userRef, keyId: key.id, provider: key.provider, label: key.label, reason,
        message: messageFor(reason, key, tenant, detail), at: now.toISOString(),
      };
      const body = JSON.stringify(payload);
      const id = `msg_${randomUUID()}`;
      try {
        const response = await doFetch(tenant.settings.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...standardWebhookHeaders(secret, id, Math.floor(Date.now() / 1000), body) },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        if (response.status < 200 || response.status >= 300) throw new Error(`the webhook answered ${response.status}`);
        return 'sent';
      } catch (error) {
        await options.store.releaseByokNotice(key.id, reason, previous);
        options.onError?.(`BYOK notice ${reason} for tenant ${tenant.id} not delivered: ${error instanceof Error ? error.message : 'error'}`);
        return 'failed';
      }
    },
  };
}
