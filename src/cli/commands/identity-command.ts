/**
 * `rekey identity add|list|remove`: OIDC workload identities for CI jobs (issue 11, OIDC
 * for machines), locally or on a server (`--server URL`, as a person with manage-users).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../../core/errors.js';
import type { WorkloadIdentityRecord } from '../../store/identity-store-types.js';
import { withCliContext } from '../cli-context.js';
import { collect } from '../cli-options.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { serverUrl } from '../server-client.js';
import { teamDeps } from './user-command.js';

type IdentityRow = Pick<WorkloadIdentityRecord, 'name' | 'issuer' | 'audience' | 'boundClaims' | 'groups' | 'createdBy'> & { createdAt: string };

const columns: Array<Column<IdentityRow>> = [
  { header: 'NAME', value: (row) => row.name },
  { header: 'ISSUER', value: (row) => row.issuer },
  { header: 'AUDIENCE', value: (row) => row.audience },
  { header: 'CLAIMS', value: (row) => Object.entries(row.boundClaims).map(([claim, pattern]) => `${claim}=${pattern}`).join(' ') },
  { header: 'GROUPS', value: (row) => row.groups.join(',') },
];

const rowOf = (identity: WorkloadIdentityRecord): IdentityRow => ({ ...identity, createdAt: identity.createdAt.toISOString() });
const json = ({ name, issuer, audience, boundClaims, groups, createdAt, createdBy }: IdentityRow) => ({ name, issuer, audience, boundClaims, groups, createdAt, createdBy });

/** `--claim repository=acme/app` (repeatable) → { repository: 'acme/app' }. */
export function parseClaims(pairs: readonly string[]): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--claim ${pair.slice(0, 80)}: expected CLAIM=GLOB, e.g. --claim repository=acme/app`);
    const claim = pair.slice(0, at);
    if (claims[claim] !== undefined) throw new UsageError(`--claim ${claim} is given twice`);
    claims[claim] = pair.slice(at + 1);
  }
  return claims;
}

async function remote() {
  const [{ openApiClient }, { workloadIdentitySchema }] = await Promise.all([import('../server-client.js'), import('../../server/routes/identity-api-routes.js')]);
  return { client: openApiClient(), schema: workloadIdentitySchema };
}

export function register(program: Command): void {
  const identity = program.command('identity').description('OIDC workload identities: which CI jobs (issuer, audience, bound claims) act in which groups');

  identity
    .command('add <name>')
    .description('Add or replace a workload identity; role bindings to its groups say what its jobs may do')
    .requiredOption('--issuer <url>', 'the OIDC issuer, https (http only on loopback), e.g. https://token.actions.githubusercontent.com')
    .requiredOption('--audience <aud>', 'the audience the job requests its token for')
    .option('--claim <claim=glob>', 'a claim every token must match (repeatable; at least one), e.g. repository=acme/app', collect)
    .option('--group <group>', 'a group the job acts in (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (name: string, options: { issuer: string; audience: string; claim?: string[]; group?: string[]; json?: boolean }) => {
      const input = { name, issuer: options.issuer, audience: options.audience, boundClaims: parseClaims(options.claim ?? []), groups: options.group ?? [] };
      let saved: IdentityRow;
      if (serverUrl() !== undefined) {
        const { client, schema } = await remote();
        saved = await client.request('POST', '/v1/identities', schema, input);
      } else {
        const { saveWorkloadIdentity } = await import('../../team/workload-identity.js');
        saved = rowOf(await withCliContext((context) => saveWorkloadIdentity(teamDeps(context), input)));
      }
      if (options.json === true) return printJson(json(saved));
      process.stdout.write(`${colour.green('saved')} workload identity ${saved.name}: tokens of ${saved.issuer} for ${saved.audience} with ${columns[3]?.value(saved) ?? ''} act as workload:${saved.name}${saved.groups.length > 0 ? ` in ${saved.groups.join(', ')}` : ''}\n`);
      if (saved.groups.length > 0) process.stdout.write(`bind a role to a group: rekey role bind operator --group ${saved.groups[0] ?? ''} --credentials '*/staging'\n`);
      return undefined;
    });

  identity
    .command('list')
    .description('List workload identities')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      let rows: IdentityRow[];
      if (serverUrl() !== undefined) {
        const { client, schema } = await remote();
        rows = await client.request('GET', '/v1/identities', z.array(schema));
      } else {
        rows = (await withCliContext(({ store }) => store.listWorkloadIdentities())).map(rowOf);
      }
      printList(rows, columns, format, json);
    });

  identity
    .command('remove <name>')
    .description('Remove a workload identity; its live sessions end')
    .action(async (name: string) => {
      let sessionsEnded: number;
      if (serverUrl() !== undefined) {
        const { openApiClient } = await import('../server-client.js');
        ({ sessionsEnded } = await openApiClient().request('DELETE', `/v1/identities/${encodeURIComponent(name)}`, z.object({ sessionsEnded: z.number() })));
      } else {
        const { removeWorkloadIdentity } = await import('../../team/workload-identity.js');
        ({ sessionsEnded } = await withCliContext((context) => removeWorkloadIdentity(teamDeps(context), name)));
      }
      process.stdout.write(`${colour.green('removed')} workload identity ${name} (${sessionsEnded} session(s) ended)\n`);
    });
}
