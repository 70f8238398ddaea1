/** `rekey doctor`: check the data directory, master key, store, migrations, data and audit chain. */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { RekeyError, UsageError } from '../../core/errors.js';
import { PROVIDER_KINDS } from '../../core/types.js';
import { describeDatabase, loadMasterKeyCandidates, resolveHome } from '../cli-context.js';
import { colour, printJson } from '../output.js';
import type { Store } from '../../store/store.js';
import type { MasterKeyCandidates } from '../../crypto/master-key.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

function message(error: unknown): string {
  if (error instanceof RekeyError) return error.message + (error.hint === undefined ? '' : ` (${error.hint})`);
  return error instanceof Error ? error.message : String(error);
}

function modeCheck(name: string, path: string, allowed: number): Check {
  if (!existsSync(path)) return { name, ok: false, detail: `${path} does not exist` };
  const mode = statSync(path).mode & 0o777;
  const ok = (mode & ~allowed) === 0;
  return { name, ok, detail: `${path} mode 0${mode.toString(8)}${ok ? '' : ` is wider than 0${allowed.toString(8)}`}` };
}

async function storeChecks(store: Store, home: string, candidates: MasterKeyCandidates | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  let chain: import('../../audit/audit-chain.js').AuditChainKey | undefined;
  const status = await store.migrationStatus();
  checks.push({
    name: 'migrations',
    ok: status.pending.length === 0,
    detail: status.pending.length === 0 ? `${status.applied.length} applied, none pending` : `pending: ${status.pending.join(', ')} (any rekey command applies them)`,
  });
  if (status.pending.length > 0 || candidates === undefined) return checks;
  const { openVaultKeys } = await import('../../vault/vault-keys.js');
  try {
    const keys = await openVaultKeys(store, home, candidates);
    checks.push({ name: 'master key matches store', ok: true, detail: `id ${keys.material.id}` });
    const { integrityChecks } = await import('./doctor-integrity.js');
    try {
      const integrity = await integrityChecks(store, keys.material);
      checks.push(...integrity.checks);
      chain = integrity.chain;
    } catch (error) {
      checks.push({ name: 'row integrity', ok: false, detail: message(error) });
    }
    let opened = 0;
    const failures: string[] = [];
    for (const credential of await store.listCredentials()) {
      for (const version of await store.listVersions(credential.id)) {
        if (version.stage !== 'current' && version.stage !== 'previous' && version.stage !== 'pending') continue;
        try {
          keys.envelope.open(version.sealed, { credentialId: credential.id, version: version.number });
          opened += 1;
        } catch {
          failures.push(`${credential.name} v${version.number}`);
        }
      }
    }
    checks.push({ name: 'live versions decrypt', ok: failures.length === 0, detail: failures.length === 0 ? `${opened} opened` : `cannot open: ${failures.join(', ')}` });
  } catch (error) {
    checks.push({ name: 'master key matches store', ok: false, detail: message(error) });
  }
  const { createAuditLog } = await import('../../audit/audit-log.js');
  const { systemClock } = await import('../../core/clock.js');
  const verified = await createAuditLog({ store, clock: systemClock, chain }).verify();
  checks.push({ name: 'audit chain', ok: verified.ok, detail: verified.ok ? `${verified.count} events intact` : `broken at event ${verified.seq}: ${verified.reason}` });
  return checks;
}

export async function runDoctor(): Promise<Check[]> {
  const home = resolveHome();
  const checks: Check[] = [modeCheck('data directory', home, 0o700)];
  let candidates: MasterKeyCandidates | undefined;
  try {
    candidates = await loadMasterKeyCandidates(home);
    const { kdf } = candidates.primary;
    const kdfNote = kdf === undefined
      ? ''
      : `; scrypt N=2^${Math.log2(kdf.cost)} r=${kdf.blockSize} p=${kdf.parallelization}${kdf.current ? '' : ', below the current N=2^17 r=8 p=1: `rekey master-key rotate` upgrades it'}`;
    checks.push({ name: 'master key', ok: true, detail: `from ${candidates.primary.origin} (id ${candidates.primary.id})${kdfNote}` });
  } catch (error) {
    checks.push({ name: 'master key', ok: false, detail: message(error) });
  }
  const database = describeDatabase(home);
  if (database.databaseUrl === undefined) checks.push(modeCheck('database file', database.sqlitePath, 0o600));
  if (database.databaseUrl === undefined && !existsSync(database.sqlitePath)) return checks;
  const { openStore } = await import('../../store/open-store.js');
  let store: Store | undefined;
  try {
    const opened = await openStore(database);
    store = opened;
    checks.push({ name: 'store', ok: true, detail: database.label });
    checks.push(...(await storeChecks(opened, home, candidates)));
  } catch (error) {
    checks.push({ name: 'store', ok: false, detail: message(error) });
  } finally {
    await store?.close();
  }
  return checks;
}

/** `doctor --provider`: the preflight of each credential of that provider, as doctor checks. */
async function providerChecks(provider: string, only: string | undefined): Promise<Check[]> {
  if (!(PROVIDER_KINDS as readonly string[]).includes(provider)) {
    throw new UsageError(`unknown provider "${provider}"`, { hint: `use one of: ${PROVIDER_KINDS.join(', ')}` });
  }
  const { withCliContext } = await import('../cli-context.js');
  const { preflightCredential } = await import('../cli-services.js');
  return withCliContext(async (context) => {
    const credentials = (await context.store.listCredentials({ provider })).filter((credential) => only === undefined || credential.name === only);
    if (credentials.length === 0) return [{ name: `${provider} preflight`, ok: false, detail: only === undefined ? `no ${provider} credential to check` : `no ${provider} credential named ${only}` }];
    const checks: Check[] = [];
    for (const credential of credentials) {
      for (const check of await preflightCredential(context, credential)) {
        checks.push({ name: `${credential.name}: ${check.check}`, ok: check.result !== 'failed', detail: check.result === 'skipped' ? `(skipped) ${check.detail}` : check.detail });
      }
    }
    return checks;
  });
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check the master key, store, file permissions, migrations and audit chain')
    .option('--provider <name>', "also run the provider preflight for every credential of this provider (admin key, permissions, base URL, project, stored key)")
    .option('--credential <name>', 'with --provider: only this credential')
    .option('--seal-rows', 'upgrade an install from before row MACs: seal every token, consumer, policy, user, role and binding as it is now (after you review them) and key the audit chain from the next event on')
    .option('--yes', 'with --seal-rows: do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean; provider?: string; credential?: string; sealRows?: boolean; yes?: boolean }) => {
      if (options.sealRows === true) {
        const { withCliContext } = await import('../cli-context.js');
        const { sealRows } = await import('./doctor-integrity.js');
        await withCliContext((context) => sealRows(context, options.yes));
      }
      const checks = await runDoctor();
      if (options.provider !== undefined) checks.push(...(await providerChecks(options.provider, options.credential)));
      else if (options.credential !== undefined) throw new UsageError('--credential needs --provider');
      const ok = checks.every((check) => check.ok);
      if (options.json === true) printJson({ ok, checks });
      else {
        for (const check of checks) {
          process.stdout.write(`${check.ok ? colour.green('✓') : colour.red('✗')} ${check.name.padEnd(26)} ${check.detail}\n`);
        }
      }
      if (!ok) process.exitCode = 1;
    });
}
