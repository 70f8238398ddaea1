import { AUDIT_GENESIS_HASH, AUDIT_HEAD_SETTING } from '../../src/store/store.js';
import type { AuditEvent } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';

/** The three Store methods the audit log uses, in memory (type-checked against Store). */
export function createMemoryAuditStore(): Pick<Store, 'appendAudit' | 'listAudit' | 'getSetting'> & { events: AuditEvent[]; pageSizes: number[] } {
  const events: AuditEvent[] = [];
  const settings = new Map<string, string>();
  const pageSizes: number[] = [];
  return {
    events,
    pageSizes,
    async appendAudit(draft, hasher) {
      const seq = events.length + 1;
      const prevHash = events.at(-1)?.hash ?? AUDIT_GENESIS_HASH;
      const event: AuditEvent = { ...draft, detail: JSON.parse(JSON.stringify(draft.detail)) as Record<string, unknown>, seq, prevHash, hash: hasher(draft, seq, prevHash) };
      events.push(event);
      settings.set(AUDIT_HEAD_SETTING, `${seq}:${event.hash}`);
      return event;
    },
    async listAudit(filter = {}) {
      const page = events
        .filter((event) => event.seq > (filter.afterSeq ?? 0) && (filter.credential === undefined || event.credential === filter.credential))
        .slice(0, filter.limit ?? Number.POSITIVE_INFINITY);
      pageSizes.push(page.length);
      return page;
    },
    async getSetting(key) {
      return settings.get(key);
    },
  };
}
