/**
 * `rekey audit checkpoint` and `rekey audit verify --checkpoint` (issue 11): signed
 * checkpoints of the chain head, written to a file (appended, 0600) and/or posted to a
 * webhook, and checked back against the database.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { ConfigError, IntegrityError, UsageError } from '../../core/errors.js';
import { checkCheckpoints, parseCheckpoints, signCheckpoint, type AuditCheckpoint, type CheckpointFinding } from '../../vault/audit-checkpoints.js';
import type { SealedIntegrity } from '../../vault/integrity-root.js';
import type { CliContext } from '../cli-context.js';

function sealedOf(context: CliContext): SealedIntegrity {
  if (!context.integrity.sealed) {
    throw new ConfigError('this install is not sealed, so it has no checkpoint key', { hint: 'run `rekey doctor --seal-rows` first' });
  }
  return context.integrity;
}

export function publicKeyOf(context: CliContext): string {
  return sealedOf(context).signer.publicKey;
}

export function readCheckpointFile(path: string): AuditCheckpoint[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the checkpoint file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCheckpoints(text, path);
}

export async function checkAgainst(context: CliContext, checkpoints: readonly AuditCheckpoint[], pinned: string | undefined): Promise<CheckpointFinding> {
  const publicKey = pinned ?? publicKeyOf(context);
  return checkCheckpoints(checkpoints, publicKey, async (seq) => (await context.store.listAudit({ afterSeq: seq - 1, limit: 1 })).find((event) => event.seq === seq));
}

export async function writeCheckpoint(context: CliContext, options: { out?: string | undefined; webhook?: string | undefined }): Promise<AuditCheckpoint> {
  if (options.out === undefined && options.webhook === undefined) throw new UsageError('say where the checkpoint goes: --out FILE and/or --webhook URL');
  if (options.webhook !== undefined && !/^https?:\/\//.test(options.webhook)) throw new UsageError(`--webhook must be an http(s) URL, not "${options.webhook.slice(0, 60)}"`);
  const integrity = sealedOf(context);
  // Never sign a chain that does not verify: the checkpoint would bless the tampering.
  const verified = await context.audit.verify();
  if (!verified.ok) throw new IntegrityError(`audit log broken at event ${verified.seq}: ${verified.reason}; no checkpoint written`);
  const head = (await context.store.listAudit({ afterSeq: verified.count - 1, limit: 1 }))[0];
  if (head === undefined) throw new IntegrityError('the audit log is empty; nothing to sign');
  const checkpoint = signCheckpoint(integrity.signer, head, context.clock.now());
  if (options.out !== undefined) appendFileSync(options.out, JSON.stringify(checkpoint) + '\n', { mode: 0o600 });
  if (options.webhook !== undefined) {
    let status: number;
    try {
      const response = await fetch(options.webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(checkpoint), signal: AbortSignal.timeout(10_000) });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      throw new ConfigError(`the checkpoint webhook ${new URL(options.webhook).origin} could not be reached (${(error as Error).name})`);
    }
    if (status < 200 || status > 299) throw new ConfigError(`the checkpoint webhook ${new URL(options.webhook).origin} answered HTTP ${status}`);
  }
  await context.audit.record({ event: 'audit-checkpoint', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { seq: checkpoint.seq, hash: checkpoint.hash, file: options.out ?? null, webhook: options.webhook === undefined ? null : new URL(options.webhook).origin } });
  return checkpoint;
}
