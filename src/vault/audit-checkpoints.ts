/**
 * Signed checkpoints of the audit chain head (issue 11): `{ seq, hash, at }` signed with the
 * install's Ed25519 checkpoint key (derived from the integrity root), one JSON object per
 * line, kept where the database admin cannot write (a file elsewhere, a webhook receiver).
 * Checking a checkpoint file against the database catches a rewritten history even when
 * every hash in it was recomputed: the signed hash of event `seq` no longer matches.
 */
import { UsageError } from '../core/errors.js';
import type { AuditEvent } from '../core/types.js';
import { isCheckpointPublicKey, verifyCheckpointSignature, type CheckpointSigner } from '../crypto/integrity-keys.js';

export const CHECKPOINT_FORMAT = 'rekey-audit-checkpoint/v1';

export interface AuditCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  seq: number;
  hash: string;
  at: string;
  publicKey: string;
  signature: string;
}

function signedPart(checkpoint: Pick<AuditCheckpoint, 'format' | 'seq' | 'hash' | 'at' | 'publicKey'>): Record<string, unknown> {
  return { format: checkpoint.format, seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, publicKey: checkpoint.publicKey };
}

export function signCheckpoint(signer: CheckpointSigner, head: Pick<AuditEvent, 'seq' | 'hash'>, at: Date): AuditCheckpoint {
  const unsigned = { format: CHECKPOINT_FORMAT, seq: head.seq, hash: head.hash, at: at.toISOString(), publicKey: signer.publicKey } as const;
  return { ...unsigned, signature: signer.sign(signedPart(unsigned)) };
}

/** Reads a checkpoint file (JSON lines; blank lines skipped); a bad line is a UsageError naming the file and line. */
export function parseCheckpoints(text: string, where: string): AuditCheckpoint[] {
  const checkpoints: AuditCheckpoint[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: Partial<AuditCheckpoint>;
    try {
      parsed = JSON.parse(line) as Partial<AuditCheckpoint>;
    } catch {
      throw new UsageError(`${where}:${index + 1}: not a JSON checkpoint line`);
    }
    const valid = parsed.format === CHECKPOINT_FORMAT && Number.isInteger(parsed.seq) && (parsed.seq ?? 0) > 0 && typeof parsed.hash === 'string'
      && /^[0-9a-f]{64}$/.test(parsed.hash) && typeof parsed.at === 'string' && typeof parsed.publicKey === 'string' && typeof parsed.signature === 'string';
    if (!valid) throw new UsageError(`${where}:${index + 1}: expected a ${CHECKPOINT_FORMAT} object with seq, hash, at, publicKey and signature`);
    checkpoints.push(parsed as AuditCheckpoint);
  });
  if (checkpoints.length === 0) throw new UsageError(`${where} holds no checkpoint`, { hint: 'write one with rekey audit checkpoint --out FILE' });
  return checkpoints;
}

export type CheckpointFinding = { ok: true; checked: number; latestSeq: number } | { ok: false; line: number; reason: string };

/**
 * Each checkpoint must be signed by `publicKey` (the install's, or one pinned by the caller)
 * and the stored event at its seq must have its hash. `eventAt` reads one stored event.
 */
export async function checkCheckpoints(
  checkpoints: readonly AuditCheckpoint[],
  publicKey: string,
  eventAt: (seq: number) => Promise<AuditEvent | undefined>,
): Promise<CheckpointFinding> {
  if (!isCheckpointPublicKey(publicKey)) throw new UsageError(`"${publicKey.slice(0, 70)}" is not a checkpoint public key (ed25519:<43 base64url characters>)`);
  let latestSeq = 0;
  for (const [index, checkpoint] of checkpoints.entries()) {
    const line = index + 1;
    if (checkpoint.publicKey !== publicKey || !verifyCheckpointSignature(publicKey, signedPart(checkpoint), checkpoint.signature)) {
      return { ok: false, line, reason: `checkpoint ${line} (event ${checkpoint.seq}, ${checkpoint.at}) is not signed by ${publicKey}` };
    }
    const event = await eventAt(checkpoint.seq);
    if (event === undefined) {
      return { ok: false, line, reason: `history was cut: checkpoint ${line} signed event ${checkpoint.seq} at ${checkpoint.at}, and the database has no event ${checkpoint.seq}` };
    }
    if (event.hash !== checkpoint.hash) {
      return { ok: false, line, reason: `history was rewritten: checkpoint ${line} signed event ${checkpoint.seq} with hash ${checkpoint.hash.slice(0, 16)}… at ${checkpoint.at}; the database has ${event.hash.slice(0, 16)}…` };
    }
    latestSeq = Math.max(latestSeq, checkpoint.seq);
  }
  return { ok: true, checked: checkpoints.length, latestSeq };
}
