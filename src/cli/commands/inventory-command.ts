/**
 * `rekey inventory`: every key at each configured provider (OPENAI_ADMIN_KEY,
 * ANTHROPIC_ADMIN_KEY), classified managed (with stage) or unmanaged, with the findings
 * stale, owner-gone, over-scoped and naming. `--adopt KEY` registers an unmanaged key as a
 * credential (its value on stdin, checked against the provider's hint) and runs discovery
 * under `--root`; `--revoke KEY` deletes an unmanaged key at the provider after
 * confirmation. Both are audited.
 */
import type { Command } from 'commander';
import { ConflictError, NotFoundError, UsageError } from '../../core/errors.js';
import type { AdminClient } from '../../admin/admin-client.js';
import { loadKeyJoins, type KeyJoins } from '../../admin/credential-join.js';
import {
  anthropicLastUse,
  anthropicProviderKeys,
  DEFAULT_NAMING,
  INVENTORY_COLUMNS,
  inventoryRow,
  openaiProviderKeys,
  organisationMembers,
  revokeCallFor,
  valueMatchesHint,
  type InventoryPolicy,
  type ProviderKey,
} from '../../admin/key-inventory.js';
import type { Row } from '../../admin/admin-query.js';
import { adminClientFor, adminConfigured, checkFilters, loadJoinsIfInitialised, writeQuery } from '../admin-wiring.js';
import { withCliContext } from '../cli-context.js';
import { collect } from '../cli-options.js';
import { confirm, parseSecretText, readStdinText } from '../secret-input.js';

interface InventoryOptions {
  staleDays: string;
  naming?: string;
  provider?: string;
  output?: string;
  filter?: string[];
  adopt?: string;
  revoke?: string;
  name?: string;
  environment?: string;
  owner?: string;
  root?: string[];
  yes?: boolean;
  dryRun?: boolean;
}

type Vendor = 'openai' | 'anthropic';

function vendorsOf(options: InventoryOptions): Vendor[] {
  const wanted = options.provider === undefined ? (['openai', 'anthropic'] as const) : [options.provider];
  for (const vendor of wanted) if (vendor !== 'openai' && vendor !== 'anthropic') throw new UsageError(`--provider must be openai or anthropic, not "${vendor}"`);
  const configured = (wanted as Vendor[]).filter((vendor) => adminConfigured(vendor));
  if (configured.length === 0) throw new UsageError('rekey inventory needs an admin key', { hint: 'set OPENAI_ADMIN_KEY and/or ANTHROPIC_ADMIN_KEY (and the base URLs for the emulator)' });
  return configured;
}

export function policyOf(options: Pick<InventoryOptions, 'staleDays' | 'naming'>, nowMs: number): InventoryPolicy {
  if (!/^\d+$/.test(options.staleDays) || Number(options.staleDays) < 1) throw new UsageError(`--stale-days must be a whole number of days, not "${options.staleDays}"`);
  let naming = DEFAULT_NAMING;
  if (options.naming !== undefined) {
    try {
      naming = new RegExp(options.naming);
    } catch {
      throw new UsageError(`--naming: "${options.naming}" is not a regular expression`);
    }
  }
  return { staleDays: Number(options.staleDays), naming, nowMs };
}

/** Every key of one vendor with its last use filled in (Anthropic: from the usage report). */
async function* keysOf(vendor: Vendor, client: AdminClient, policy: InventoryPolicy): AsyncGenerator<ProviderKey> {
  if (vendor === 'openai') {
    yield* openaiProviderKeys(client);
    return;
  }
  const lastUse = await anthropicLastUse(client, { startMs: policy.nowMs - policy.staleDays * 86_400_000, endMs: policy.nowMs });
  for await (const key of anthropicProviderKeys(client)) yield { ...key, lastUsedAtMs: lastUse.get(key.id) ?? (key.createdAtMs !== null && key.createdAtMs < policy.nowMs - policy.staleDays * 86_400_000 ? key.createdAtMs : null) };
}

/** The inventory rows of every configured vendor, streamed. */
export async function* inventoryRows(vendors: readonly Vendor[], joins: KeyJoins, policy: InventoryPolicy, clientFor: (vendor: Vendor) => AdminClient = adminClientFor): AsyncGenerator<Row> {
  for (const vendor of vendors) {
    const client = clientFor(vendor);
    const members = await organisationMembers(client);
    for await (const key of keysOf(vendor, client, policy)) yield inventoryRow(key, { joins, members, policy });
  }
}

async function findKey(vendors: readonly Vendor[], id: string): Promise<{ vendor: Vendor; key: ProviderKey; client: AdminClient }> {
  for (const vendor of vendors) {
    const client = adminClientFor(vendor);
    for await (const key of vendor === 'openai' ? openaiProviderKeys(client) : anthropicProviderKeys(client)) if (key.id === id) return { vendor, key, client };
  }
  throw new NotFoundError(`no key ${id} at ${vendors.join(' or ')}`, { hint: 'list them with `rekey inventory`' });
}

async function adopt(vendors: readonly Vendor[], id: string, options: InventoryOptions): Promise<void> {
  if (options.name === undefined) throw new UsageError('--adopt needs --name <credential>', { hint: 'e.g. --name openai/ticketing/debug' });
  const { vendor, key } = await findKey(vendors, id);
  const value = parseSecretText(await readStdinText(), 'stdin');
  if (!valueMatchesHint(value.reveal(), key.redacted)) {
    throw new UsageError(`the value on stdin is not key ${id}: it does not match the provider's hint ${key.redacted ?? '(none)'}`, { hint: 'pipe in the value of that key' });
  }
  const { addCredential } = await import('../../vault/credential-service.js');
  const { createFileDiscoverySource } = await import('../../discovery/file-discovery.js');
  const { createDiscoveryTarget } = await import('../../discovery/discovery-spec.js');
  const { consumerAddCommand, runDiscovery } = await import('../../discovery/discovery-service.js');
  const proposals = await withCliContext(async (context) => {
    const joins = await loadKeyJoins(context.store);
    if (joins.has(`${vendor}:${id}`)) throw new ConflictError(`key ${id} is already managed (credential ${joins.get(`${vendor}:${id}`)?.credential})`);
    const scope: Record<string, string> = key.scopeId === null ? {} : vendor === 'openai' ? { project: key.scopeId } : { workspace: key.scopeId };
    const { version } = await addCredential(
      { store: context.store, vault: context.vault, audit: context.audit, actor: context.actor },
      { name: options.name ?? '', provider: vendor, scope, environment: options.environment ?? 'prod', owner: options.owner ?? key.ownerLabel, purpose: `adopted from the ${vendor} inventory (${key.name})`, allowedModels: [], tags: {}, policy: {} },
      value,
      id,
    );
    await context.audit.record({ event: 'inventory-adopt', actor: context.actor, credential: options.name ?? null, fingerprint: version?.fingerprint ?? null, outcome: 'ok', detail: { provider: vendor, providerKeyId: id, keyName: key.name } });
    if ((options.root ?? []).length === 0 || version === undefined) return [];
    const target = createDiscoveryTarget({ fingerprintSalt: context.keys.fingerprintSalt, fingerprint: version.fingerprint, length: value.length });
    const report = await runDiscovery({ sources: [createFileDiscoverySource({ roots: options.root ?? [] })], target, existing: [] });
    return report.proposals.map((proposal) => consumerAddCommand(options.name ?? '', proposal));
  });
  process.stdout.write(`adopted ${vendor} key ${id} (${key.name}) as ${options.name}\n`);
  if ((options.root ?? []).length > 0) process.stdout.write(proposals.length === 0 ? 'discovery: no copies found under the roots given\n' : `discovery found it; to deliver future rotations there, add:\n${proposals.map((line) => `  ${line}\n`).join('')}`);
}

async function revoke(vendors: readonly Vendor[], id: string, options: InventoryOptions): Promise<void> {
  const { vendor, key, client } = await findKey(vendors, id);
  const joins = await loadJoinsIfInitialised();
  const managed = joins.get(`${vendor}:${id}`);
  if (managed !== undefined) {
    throw new ConflictError(`key ${id} belongs to credential ${managed.credential} (${managed.stage}); revoke it through rekey`, { hint: `rekey rotate ${managed.credential} --emergency` });
  }
  const call = revokeCallFor(key);
  if (options.dryRun === true) {
    process.stdout.write(`dry run: would ${call.what}\n`);
    return;
  }
  await confirm(`revoke: ${call.what}`, options.yes);
  await client.request(call);
  await withCliContext((context) =>
    context.audit.record({ event: 'inventory-revoke', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { provider: vendor, providerKeyId: id, keyName: key.name, owner: key.ownerLabel } }),
  ).catch(() => undefined);
  process.stdout.write(`revoked ${vendor} key ${id} (${key.name})\n`);
}

export function register(program: Command): void {
  program
    .command('inventory')
    .description('Every key at each configured provider, classified: managed (stage) or unmanaged, stale, owner gone, over-scoped, outside the naming policy')
    .option('--provider <name>', 'only openai or anthropic')
    .option('--stale-days <n>', 'stale when unused this many days', '90')
    .option('--naming <regex>', `the naming policy for key names (default ${DEFAULT_NAMING.source})`)
    .option('--output <format>', 'table, json, ndjson, csv or yaml', 'table')
    .option('--filter <column=value>', 'e.g. management=unmanaged, findings~stale (repeatable)', collect)
    .option('--adopt <key-id>', 'bring an unmanaged key under management (value on stdin; with --name)')
    .option('--name <credential>', 'the credential name for --adopt')
    .option('--environment <env>', 'the credential environment for --adopt (default prod)')
    .option('--owner <owner>', 'the credential owner for --adopt (default the key owner)')
    .option('--root <dir>', 'after --adopt, look for copies of the value under this directory (repeatable)', collect)
    .option('--revoke <key-id>', 'delete an unmanaged key at the provider (asks first)')
    .option('--dry-run', 'with --revoke: say what would be deleted')
    .option('--yes', 'do not ask for confirmation')
    .action(async (options: InventoryOptions) => {
      const vendors = vendorsOf(options);
      if (options.adopt !== undefined && options.revoke !== undefined) throw new UsageError('give --adopt or --revoke, not both');
      if (options.adopt !== undefined) return adopt(vendors, options.adopt, options);
      if (options.revoke !== undefined) return revoke(vendors, options.revoke, options);
      const policy = policyOf(options, Date.now());
      checkFilters(options.filter, INVENTORY_COLUMNS);
      const joins = await loadJoinsIfInitialised();
      await writeQuery(inventoryRows(vendors, joins, policy), { output: options.output, filter: options.filter, columns: INVENTORY_COLUMNS });
      return undefined;
    });
}
