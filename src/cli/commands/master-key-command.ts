/** `rekey master-key rotate`: re-wrap every data key under a new master key. */
import type { Command } from 'commander';
import { ConfigError, UsageError } from '../../core/errors.js';
import { decodeMasterKey, generateMasterKey } from '../../crypto/master-key.js';
import { withCliContext } from '../cli-context.js';
import { colour, printJson } from '../output.js';
import { confirm, promptHidden, readStdinText } from '../secret-input.js';
import type { NewMasterKeySource } from '../../vault/master-key-rotation.js';

export function register(program: Command): void {
  const masterKey = program.command('master-key').description('Manage the master key that wraps every data key');
  masterKey
    .command('rotate')
    .description('Re-wrap every data key under a new master key; stored values are unchanged')
    .option('--new-key-from-stdin', 'with REKEY_MASTER_KEY: read the new base64 key from stdin (then update REKEY_MASTER_KEY)')
    .option('--yes', 'do not ask (required when not on a terminal)')
    .option('--json', 'print JSON')
    .action(async (options: { newKeyFromStdin?: boolean; yes?: boolean; json?: boolean }) => {
      await confirm('re-wrap every data key under a new master key?', options.yes);
      const { rotateMasterKey } = await import('../../vault/master-key-rotation.js');
      const result = await withCliContext(async (context) => {
        const current = context.keys.material;
        let source: NewMasterKeySource;
        if (current.kind === 'env') {
          if (options.newKeyFromStdin !== true) {
            throw new UsageError('the master key comes from REKEY_MASTER_KEY', { hint: 'pipe the new key in with --new-key-from-stdin (e.g. openssl rand -base64 32)' });
          }
          source = { kind: 'env', key: decodeMasterKey(await readStdinText(), 'the new key on stdin') };
        } else if (current.kind === 'passphrase') {
          const passphrase = process.env.REKEY_NEW_PASSPHRASE ?? (process.stdin.isTTY ? await promptHidden('new passphrase (12+ characters): ') : '');
          if (passphrase === '') throw new ConfigError('no new passphrase', { hint: 'set REKEY_NEW_PASSPHRASE or run on a terminal' });
          source = { kind: 'passphrase', passphrase };
        } else {
          source = { kind: 'file', key: generateMasterKey() };
        }
        const rotated = await rotateMasterKey({ store: context.store, home: context.home, envelope: context.keys.envelope, current }, source);
        await context.audit.record({
          event: 'master-key-rotate', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok',
          detail: { oldKeyId: rotated.oldKeyId, newKeyId: rotated.newKeyId, rewrapped: rotated.rewrapped, byokTenants: rotated.byokTenants },
        });
        return { ...rotated, source: current.kind };
      });
      if (options.json === true) printJson(result);
      else {
        process.stdout.write(`${colour.green('rotated')} master key ${result.oldKeyId} → ${result.newKeyId}; ${result.rewrapped} data key(s) re-wrapped${result.byokTenants > 0 ? `, ${result.byokTenants} BYOK tenant key(s)` : ''}\n`);
        if (result.source === 'env') process.stdout.write(colour.yellow('now set REKEY_MASTER_KEY to the new key everywhere rekey runs\n'));
      }
    });
}
