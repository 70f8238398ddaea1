/**
 * `rekey sso add|list|remove`: OIDC providers people sign in through (issue 11, SSO). The
 * client secret comes from stdin only and is sealed under the master key; the row carries a MAC.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { SsoProviderRecord } from '../../store/identity-store-types.js';
import { withCliContext } from '../cli-context.js';
import { collect } from '../cli-options.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { readStdinText } from '../secret-input.js';
import { teamDeps } from './user-command.js';

const columns: Array<Column<SsoProviderRecord>> = [
  { header: 'NAME', value: (row) => row.name },
  { header: 'ISSUER', value: (row) => row.issuer },
  { header: 'CLIENT', value: (row) => row.clientId },
  { header: 'GROUPS-CLAIM', value: (row) => row.groupsClaim },
  { header: 'DOMAINS', value: (row) => row.allowedDomains.join(',') },
];

const json = (row: SsoProviderRecord) => ({ name: row.name, issuer: row.issuer, clientId: row.clientId, clientSecret: row.clientSecretSealed !== null, groupsClaim: row.groupsClaim, allowedDomains: row.allowedDomains, createdAt: row.createdAt.toISOString(), createdBy: row.createdBy });

export function register(program: Command): void {
  const sso = program.command('sso').description('OIDC SSO providers people sign in through (authorization code + PKCE; groups claim to role bindings)');

  sso
    .command('add <name>')
    .description('Add or replace an SSO provider; register <server>/v1/auth/sso/<name>/callback as its redirect URI at the IdP')
    .requiredOption('--issuer <url>', 'the OIDC issuer, https (http only on loopback)')
    .requiredOption('--client-id <id>', 'the client id registered at the IdP')
    .option('--client-secret-stdin', 'read the client secret from the first line of stdin (sealed under the master key); without it a public client')
    .option('--groups-claim <claim>', 'the ID-token claim listing the groups', 'groups')
    .option('--allowed-domain <domain>', 'only people with a verified email in this domain (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (name: string, options: { issuer: string; clientId: string; clientSecretStdin?: boolean; groupsClaim: string; allowedDomain?: string[]; json?: boolean }) => {
      let clientSecret: string | null = null;
      if (options.clientSecretStdin === true) {
        clientSecret = (await readStdinText()).split(/\r?\n/)[0] ?? '';
        if (clientSecret === '') throw new UsageError('no client secret on stdin');
      }
      const { saveSsoProvider } = await import('../../team/sso-provider.js');
      const saved = await withCliContext((context) => saveSsoProvider({ ...teamDeps(context), envelope: context.keys.envelope }, { name, issuer: options.issuer, clientId: options.clientId, clientSecret, groupsClaim: options.groupsClaim, allowedDomains: options.allowedDomain }));
      if (options.json === true) return printJson(json(saved));
      process.stdout.write(`${colour.green('saved')} SSO provider ${saved.name} (${saved.issuer}); register <server>/v1/auth/sso/${saved.name}/callback as a redirect URI, then: rekey login --server <server> --sso ${saved.name}\n`);
      return undefined;
    });

  sso
    .command('list')
    .description('List SSO providers (never a client secret)')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { output?: string; json?: boolean }) => {
      printList(await withCliContext(({ store }) => store.listSsoProviders()), columns, outputFormat(options), json);
    });

  sso
    .command('remove <name>')
    .description('Remove an SSO provider (sessions already opened through it run to their end)')
    .action(async (name: string) => {
      const { removeSsoProvider } = await import('../../team/sso-provider.js');
      await withCliContext((context) => removeSsoProvider(teamDeps(context), name));
      process.stdout.write(`${colour.green('removed')} SSO provider ${name}\n`);
    });
}
