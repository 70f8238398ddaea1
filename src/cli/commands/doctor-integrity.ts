/**
 * The integrity part of `rekey doctor` (issue 11): which rows that grant power fail their
 * MAC, by table and row, and `--seal-rows`, the upgrade of an install from before row MACs
 * (seal every row as it is now, after a person has looked at them, and key the audit chain
 * from the next event on).
 */
import { IntegrityError } from '../../core/errors.js';
import type { MasterKeyMaterial } from '../../crypto/master-key.js';
import type { Store } from '../../store/store.js';
import type { CliContext } from '../cli-context.js';
import { colour } from '../output.js';
import { confirm } from '../secret-input.js';

export interface IntegrityCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The row-integrity checks of a store opened without the sealing wrapper. */
export async function integrityChecks(store: Store, material: MasterKeyMaterial): Promise<{ checks: IntegrityCheck[]; chain: import('../../audit/audit-chain.js').AuditChainKey | undefined }> {
  const { openIntegrity } = await import('../../vault/integrity-root.js');
  const integrity = await openIntegrity(store, material);
  if (!integrity.sealed) {
    return {
      chain: undefined,
      checks: [{ name: 'row integrity', ok: false, detail: 'rows carry no MACs yet (an install from before row MACs): review tokens, consumers and bindings, then run `rekey doctor --seal-rows`' }],
    };
  }
  const { inspectSealedRows } = await import('../../vault/sealed-store.js');
  const { inspectTeamRows } = await import('../../team/team-integrity.js');
  const tampered = [...(await inspectSealedRows(store, integrity.rows)), ...(await inspectTeamRows(store, integrity.rows))];
  const checks: IntegrityCheck[] = [
    {
      name: 'row integrity',
      ok: tampered.length === 0,
      detail: tampered.length === 0 ? `sealed since ${integrity.sealedAt.toISOString()}; every token, consumer, policy setting, user, role, binding, approval policy, request and decision, workload identity and session matches its MAC` : `${tampered.length} row(s) fail their MAC: written outside rekey and refused`,
    },
    ...tampered.map((row) => ({ name: `tampered ${row.table}`, ok: false, detail: `${row.row}: MAC does not match (written outside rekey); rekey refuses it` })),
  ];
  return { checks, chain: integrity.chain };
}

/** `rekey doctor --seal-rows`: seals an older install once a person has confirmed what it holds. */
export async function sealRows(context: CliContext, yes: boolean | undefined): Promise<void> {
  if (context.integrity.sealed) {
    process.stdout.write(`already sealed since ${context.integrity.sealedAt.toISOString()}: every row is checked\n`);
    return;
  }
  const { store, audit, clock, actor } = context;
  const verified = await audit.verify();
  if (!verified.ok) throw new IntegrityError(`the audit chain is broken at event ${verified.seq} (${verified.reason}); not sealing a log that does not verify`);
  const tokens = await store.listAccessTokens({ includeRevoked: false });
  const bindings = await store.listRoleBindings();
  const consumers: string[] = [];
  for (const credential of await store.listCredentials()) {
    for (const consumer of await store.listConsumers(credential.id)) {
      const reload = consumer.reload === null ? '' : ` (reload: ${String(consumer.reload.kind ?? 'unknown')})`;
      consumers.push(`${credential.name} ${consumer.name} [${consumer.kind}]${reload}`);
    }
  }
  process.stdout.write('Sealing trusts every row as it is now. Review what grants power:\n');
  process.stdout.write(`  live tokens (${tokens.length}): ${tokens.map((token) => `${token.kind}:${token.name}`).join(', ') || 'none'}\n`);
  process.stdout.write(`  consumers (${consumers.length}):\n${consumers.map((line) => `    ${line}\n`).join('')}`);
  process.stdout.write(`  role bindings (${bindings.length}): ${bindings.map((binding) => `${binding.role} → ${binding.subjectKind}:${binding.subject}`).join(', ') || 'none'}\n`);
  await confirm('seal these rows and key the audit chain from the next event on?', yes);
  const { createIntegrityRoot } = await import('../../vault/integrity-root.js');
  const { sealAllRows } = await import('../../vault/sealed-store.js');
  const { sealTeamRows } = await import('../../team/team-integrity.js');
  const { createAuditLog } = await import('../../audit/audit-log.js');
  const integrity = await createIntegrityRoot(store, context.keys.material, verified.count + 1, clock.now());
  const counts = { ...(await sealAllRows(store, integrity.rows)), ...(await sealTeamRows(store, integrity.rows)) };
  await createAuditLog({ store, clock, chain: integrity.chain }).record({
    event: 'integrity-seal', actor, credential: null, fingerprint: null, outcome: 'ok',
    detail: { rows: counts, auditKeyedFrom: verified.count + 1, checkpointPublicKey: integrity.signer.publicKey },
  });
  const total = Object.values(counts).reduce((sum, count) => sum + (count ?? 0), 0);
  process.stdout.write(`${colour.green('sealed')} ${total} rows; audit events from ${verified.count + 1} on are keyed\n`);
  process.stdout.write(`  audit checkpoint public key: ${integrity.signer.publicKey}\n`);
}
