import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { AuditEvent } from '../core/types.js';
import { AUDIT_HEAD_SETTING, type AuditDraft, type Store } from '../store/store.js';
import { auditHasherFor, canonicalJson, createAuditChainVerifier, parseAuditHead, type AuditChainKey, type AuditChainResult } from './audit-chain.js';
import { assertNoSecretInDetail } from './audit-detail-guard.js';
import { exportAuditEvents, type AuditExportFormat } from './audit-export.js';

export type AuditRecordInput = Omit<AuditDraft, 'at'>;

export interface AuditListFilter {
  afterSeq?: number;
  limit?: number;
  credential?: string;
}

export interface AuditLog {
  record(input: AuditRecordInput): Promise<AuditEvent>;
  list(filter?: AuditListFilter): Promise<AuditEvent[]>;
  /**
   * Walks the whole chain page by page and names the first bad event; then checks that
   * the chain still reaches the head recorded at the last append (a cut-off tail).
   */
  verify(): Promise<AuditChainResult>;
  export(format: AuditExportFormat): Promise<string>;
}

const EVENT_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;
const PAGE_SIZE = 1000;

/**
 * The audit log service. Events are named `<noun>-<action>`; detail is normalised to
 * what JSON keeps (so the stored row re-hashes to the same value) and checked for key
 * values before anything is written.
 */
export function createAuditLog(deps: {
  store: Pick<Store, 'appendAudit' | 'listAudit' | 'getSetting'>;
  clock: Clock;
  /** The keyed chain of a sealed install (src/vault/integrity-root.ts); absent: unkeyed as before. */
  chain?: AuditChainKey | undefined;
}): AuditLog {
  const { store, clock, chain } = deps;
  const hasher = auditHasherFor(chain);

  async function* allEvents(): AsyncGenerator<AuditEvent> {
    let afterSeq = 0;
    for (;;) {
      const page = await store.listAudit({ afterSeq, limit: PAGE_SIZE });
      for (const event of page) yield event;
      const last = page.at(-1);
      if (page.length < PAGE_SIZE || last === undefined) return;
      afterSeq = last.seq;
    }
  }

  return {
    async record(input) {
      if (!EVENT_NAME.test(input.event)) {
        throw new UsageError(`audit event name "${input.event.slice(0, 60)}" must look like <noun>-<action>, e.g. credential-add`);
      }
      assertNoSecretInDetail(input.detail);
      const detail = JSON.parse(canonicalJson(input.detail)) as Record<string, unknown>;
      return store.appendAudit({ ...input, detail, at: clock.now() }, hasher);
    },

    list: (filter = {}) => store.listAudit(filter),

    async verify() {
      // Read the head first: events appended while we walk only lengthen the chain.
      const head = parseAuditHead(await store.getSetting(AUDIT_HEAD_SETTING));
      const verifier = createAuditChainVerifier(chain);
      let hashAtHead: string | undefined;
      for await (const event of allEvents()) {
        if (verifier.push(event) !== undefined) break;
        if (event.seq === head?.seq) hashAtHead = event.hash;
      }
      const result = verifier.result();
      if (!result.ok || head === undefined) return result;
      if (result.count < head.seq) {
        const missing = result.count + 1 === head.seq ? `event ${head.seq} is` : `events ${result.count + 1} to ${head.seq} are`;
        return { ok: false, seq: result.count + 1, reason: `${missing} missing: the log was cut short` };
      }
      if (hashAtHead !== head.hash) {
        return { ok: false, seq: head.seq, reason: `event ${head.seq} differs from the one recorded when it was appended` };
      }
      return result;
    },

    async export(format) {
      const events: AuditEvent[] = [];
      for await (const event of allEvents()) events.push(event);
      return exportAuditEvents(events, format);
    },
  };
}
