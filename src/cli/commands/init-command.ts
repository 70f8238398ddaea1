/** `rekey init`: create the data directory, the master key and the store. */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, ConflictError } from '../../core/errors.js';
import { generateMasterKey, KEY_FILE, PASSPHRASE_FILE, writeMasterKeyMaterial, decodeMasterKey } from '../../crypto/master-key.js';
import { masterKeyIdOf } from '../../crypto/envelope.js';
import { cliActor, describeDatabase, resolveHome } from '../cli-context.js';
import { colour, printJson } from '../output.js';
import { promptHidden } from '../secret-input.js';

export function register(program: Command): void {
  program
    .command('init')
    .description('Create the data directory ($REKEY_HOME, default ~/.rekey), a master key and the store')
    .option('--passphrase', 'derive the master key from a passphrase (REKEY_PASSPHRASE or a prompt) instead of a key file')
    .option('--json', 'print JSON')
    .action(async (options: { passphrase?: boolean; json?: boolean }) => {
      const home = resolveHome();
      const database = describeDatabase(home);
      const fromEnvironment = (process.env.REKEY_MASTER_KEY ?? '') !== '';
      if (existsSync(join(home, KEY_FILE)) || existsSync(join(home, PASSPHRASE_FILE)) || (database.databaseUrl === undefined && existsSync(database.sqlitePath))) {
        throw new ConflictError(`rekey is already initialised in ${home}; nothing was changed`, { hint: 'use `rekey doctor` to check it' });
      }
      const createdHome = !existsSync(home);
      if (createdHome) mkdirSync(home, { recursive: true, mode: 0o700 });
      else if (!statSync(home).isDirectory()) throw new ConfigError(`${home} exists and is not a directory`);
      const created: string[] = [];
      try {
        let material;
        if (fromEnvironment) {
          const key = decodeMasterKey(process.env.REKEY_MASTER_KEY ?? '', 'REKEY_MASTER_KEY');
          material = { kind: 'env' as const, origin: 'REKEY_MASTER_KEY', key, id: masterKeyIdOf(key) };
        } else if (options.passphrase === true) {
          const passphrase = process.env.REKEY_PASSPHRASE ?? (process.stdin.isTTY ? await promptHidden('new passphrase (12+ characters): ') : '');
          if (passphrase === '') throw new ConfigError('no passphrase given', { hint: 'set REKEY_PASSPHRASE or run on a terminal' });
          material = await writeMasterKeyMaterial(home, { kind: 'passphrase', passphrase }, { asNext: false });
          created.push(join(home, PASSPHRASE_FILE));
        } else {
          material = await writeMasterKeyMaterial(home, { kind: 'file', key: generateMasterKey() }, { asNext: false });
          created.push(join(home, KEY_FILE));
        }
        const { openStore } = await import('../../store/open-store.js');
        if (database.databaseUrl === undefined) {
          created.push(database.sqlitePath, `${database.sqlitePath}-wal`, `${database.sqlitePath}-shm`);
          // SQLite gives its -wal and -shm files the database file's mode: make it private first.
          closeSync(openSync(database.sqlitePath, 'wx', 0o600));
        }
        const store = await openStore(database);
        let checkpointPublicKey: string;
        try {
          await store.migrate();
          const { initializeVaultKeys } = await import('../../vault/vault-keys.js');
          await initializeVaultKeys(store, material);
          const { systemClock } = await import('../../core/clock.js');
          // A new install is sealed from its first row: every audit event is keyed, built-in roles carry MACs.
          const { createIntegrityRoot } = await import('../../vault/integrity-root.js');
          const { sealTeamRows } = await import('../../team/team-integrity.js');
          const integrity = await createIntegrityRoot(store, material, 1, systemClock.now());
          await sealTeamRows(store, integrity.rows);
          checkpointPublicKey = integrity.signer.publicKey;
          const { createAuditLog } = await import('../../audit/audit-log.js');
          await createAuditLog({ store, clock: systemClock, chain: integrity.chain }).record({
            event: 'store-init', actor: cliActor(), credential: null, fingerprint: null, outcome: 'ok',
            detail: { store: store.dialect, masterKeySource: material.kind, masterKeyId: material.id, checkpointPublicKey },
          });
        } finally {
          await store.close();
        }
        const summary = { home, store: database.label, masterKey: material.kind === 'file' ? join(home, KEY_FILE) : material.origin, masterKeyId: material.id, checkpointPublicKey };
        if (options.json === true) printJson(summary);
        else {
          process.stdout.write(`${colour.green('initialised')} rekey in ${home}\n  store:      ${summary.store}\n  master key: ${summary.masterKey} (id ${material.id})\n`);
          process.stdout.write(`  audit checkpoint public key: ${checkpointPublicKey}\n    (keep a copy outside the database: rekey audit verify --checkpoint checks signed checkpoints with it)\n`);
          if (material.kind === 'file') process.stdout.write(colour.yellow('  back up the master key file: without it the vault cannot be opened\n'));
        }
      } catch (error) {
        // Leave nothing half-made behind.
        for (const path of created) rmSync(path, { force: true });
        if (createdHome) rmSync(home, { recursive: true, force: true });
        throw error;
      }
    });
}
