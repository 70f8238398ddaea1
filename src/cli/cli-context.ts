/**
 * What every CLI command that touches data opens: the data directory, the store (SQLite
 * by default, PostgreSQL with REKEY_DATABASE_URL), the master key and vault, and the audit
 * log. Environment variables are read here and nowhere deeper.
 *
 * On a sealed install (issue 11) the store handed out is wrapped by `sealStore`: rows that
 * grant power carry MACs on write and are checked on read, and the audit chain is keyed.
 * A refused row is reported on stderr and as a `row-refuse` audit event (once per row).
 */
import { existsSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import { systemClock, type Clock } from '../core/clock.js';
import { ConfigError, UsageError } from '../core/errors.js';
import { loadMasterKey, type MasterKeyCandidates } from '../crypto/master-key.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { openIntegrity, type Integrity } from '../vault/integrity-root.js';
import { sealStore, type TamperedRow } from '../vault/sealed-store.js';
import { createVault, type Vault } from '../vault/vault.js';
import { openVaultKeys, type VaultKeys } from '../vault/vault-keys.js';
import { promptHidden } from './secret-input.js';

export interface CliContext {
  home: string;
  store: Store;
  vault: Vault;
  keys: VaultKeys;
  audit: AuditLog;
  /** The install's integrity keys; `sealed: false` for an install from before issue 11 not yet sealed. */
  integrity: Integrity;
  clock: Clock;
  /** Who is acting, for audit events: `cli:<user>`. */
  actor: string;
  close(): Promise<void>;
}

export function resolveHome(): string {
  const configured = process.env.REKEY_HOME;
  return resolve(configured !== undefined && configured !== '' ? configured : join(homedir(), '.rekey'));
}

export function describeDatabase(home: string): { databaseUrl?: string; sqlitePath: string; label: string } {
  const databaseUrl = process.env.REKEY_DATABASE_URL;
  const sqlitePath = join(home, 'rekey.db');
  if (databaseUrl !== undefined && databaseUrl !== '') {
    return { databaseUrl, sqlitePath, label: `PostgreSQL (${redactUrl(databaseUrl)})` };
  }
  return { sqlitePath, label: `SQLite (${sqlitePath})` };
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

/**
 * Local mode (the database and the master key in hand) is the single-user case and the
 * break-glass path of a team install: every event it records says so, with the OS user.
 */
function localAudit(audit: AuditLog): AuditLog {
  const via = { mode: 'local/break-glass', osUser: cliActor().slice('cli:'.length) };
  return { ...audit, record: (input) => audit.record({ ...input, detail: { ...input.detail, via } }) };
}

export function loadMasterKeyCandidates(home: string): Promise<MasterKeyCandidates> {
  return loadMasterKey(home, {
    masterKey: process.env.REKEY_MASTER_KEY,
    passphrase: process.env.REKEY_PASSPHRASE,
    promptPassphrase: process.stdin.isTTY ? () => promptHidden('rekey passphrase: ') : undefined,
  });
}

export async function openStoreForHome(home: string): Promise<Store> {
  const database = describeDatabase(home);
  if (database.databaseUrl === undefined && !existsSync(database.sqlitePath)) {
    throw new ConfigError(`rekey is not initialised: ${database.sqlitePath} does not exist`, { hint: 'run `rekey init` (or set REKEY_HOME)' });
  }
  const store = await openStore(database);
  try {
    const status = await store.migrationStatus();
    if (status.pending.length > 0) await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export async function openCliContext(): Promise<CliContext> {
  const server = process.env.REKEY_SERVER;
  if (server !== undefined && server.trim() !== '') {
    throw new UsageError('this command does not run against a rekey server yet (it needs the database and the master key)', {
      hint: 'run it where the database is, without --server and REKEY_SERVER (audited as local/break-glass)',
    });
  }
  const home = resolveHome();
  if (!existsSync(home) || !statSync(home).isDirectory()) {
    throw new ConfigError(`rekey is not initialised: ${home} does not exist`, { hint: 'run `rekey init` (or set REKEY_HOME)' });
  }
  const candidates = await loadMasterKeyCandidates(home);
  const raw = await openStoreForHome(home);
  try {
    const keys = await openVaultKeys(raw, home, candidates);
    const integrity = await openIntegrity(raw, keys.material);
    const clock = systemClock;
    const refused = new Set<string>();
    let reports = Promise.resolve();
    const actor = cliActor();
    const onTampered = (row: TamperedRow) => {
      const key = `${row.table} ${row.row}`;
      if (refused.has(key)) return;
      refused.add(key);
      process.stderr.write(`warning: refused ${key}: its MAC does not match (written outside rekey); rekey doctor lists such rows\n`);
      reports = reports
        .then(() => audit.record({ event: 'row-refuse', actor, credential: null, fingerprint: null, outcome: 'error', detail: { table: row.table, row: row.row } }))
        .then(() => undefined, () => undefined);
    };
    const store = integrity.sealed ? sealStore(raw, integrity.rows, onTampered) : raw;
    const audit = localAudit(createAuditLog({ store, clock, chain: integrity.sealed ? integrity.chain : undefined }));
    return {
      home,
      store,
      keys,
      clock,
      vault: createVault({ store, envelope: keys.envelope, fingerprintSalt: keys.fingerprintSalt }),
      audit,
      integrity,
      actor,
      async close() {
        await reports;
        await raw.close();
      },
    };
  } catch (error) {
    await raw.close();
    throw error;
  }
}

/** Open a context, run `action`, always close. */
export async function withCliContext<T>(action: (context: CliContext) => Promise<T>): Promise<T> {
  const context = await openCliContext();
  try {
    return await action(context);
  } finally {
    await context.close();
  }
}
