/**
 * `rekey byok …`: the operator's side of bring-your-own-key tenant vaults (issue 20) —
 * tenants and their settings, service tokens for the SaaS application, a metadata listing,
 * and `purge-tenant`, which destroys a tenant's data key and proves that nothing of it
 * decrypts any more. Keys themselves are put and used by the application (rekey-cli/byok or
 * the routes of rekey serve); rekey never mints, rotates or revokes them.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { ByokFallback, ByokTenantRecord, ByokTenantSettings } from '../../store/byok-store-types.js';
import { withCliContext, type CliContext } from '../cli-context.js';
import { colour, printJson, printList, outputFormat } from '../output.js';
import { confirm } from '../secret-input.js';

interface TenantOptions {
  webhookUrl?: string;
  reminderDays?: string;
  unusedDays?: string;
  cadenceHours?: string;
  fallback?: string;
  requireModel?: string[];
  json?: boolean;
}

function wholeNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a whole number, not "${text}"`);
  return Number(text);
}

function parseFallback(text: string): ByokFallback {
  if (text === 'none') return { kind: 'none' };
  const match = /^credential:(.+)$/.exec(text);
  if (match?.[1] === undefined) throw new UsageError(`--fallback must be none or credential:<name>, not "${text}"`);
  return { kind: 'credential', credential: match[1] };
}

function settingsFrom(options: TenantOptions): Partial<ByokTenantSettings> {
  const settings: Partial<ByokTenantSettings> = {};
  if (options.webhookUrl !== undefined) settings.webhookUrl = options.webhookUrl === '' ? null : options.webhookUrl;
  if (options.reminderDays !== undefined) settings.reminderAgeDays = wholeNumber(options.reminderDays, '--reminder-days');
  if (options.unusedDays !== undefined) settings.unusedDays = options.unusedDays === 'off' ? null : wholeNumber(options.unusedDays, '--unused-days');
  if (options.cadenceHours !== undefined) settings.noticeCadenceHours = wholeNumber(options.cadenceHours, '--cadence-hours');
  if (options.fallback !== undefined) settings.fallback = parseFallback(options.fallback);
  if (options.requireModel !== undefined) settings.requiredModels = options.requireModel;
  return settings;
}

function tenantJson(tenant: ByokTenantRecord): Record<string, unknown> {
  return { id: tenant.id, settings: tenant.settings, masterKeyId: tenant.masterKeyId, webhookSecret: tenant.webhookSecretSealed === null ? 'none' : 'set', createdAt: tenant.createdAt.toISOString(), purgedAt: tenant.purgedAt?.toISOString() ?? null };
}

async function tenantVaultOf(context: CliContext) {
  const [{ createTenantVault }, { createTenantWrapper }] = await Promise.all([import('../../byok/tenant-vault.js'), import('../../crypto/tenant-keys.js')]);
  return createTenantVault({ store: context.store, wrapper: createTenantWrapper(context.keys.material.key) });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function tenantOptions(command: Command): Command {
  return command
    .option('--webhook-url <url>', "the SaaS application's webhook for notices to users (https; http only to loopback)")
    .option('--reminder-days <days>', 'remind a user when their key is older than this (default 90)')
    .option('--unused-days <days>', 'tell a user when their key was not used for this many days (default off)')
    .option('--cadence-hours <hours>', 'the same notice about the same key at most once per this many hours (default 24)')
    .option('--fallback <policy>', 'proxy calls of a user without a usable key: none (default) or credential:<name> (a house key)')
    .option('--require-model <model>', 'a key must reach this model to be valid (repeatable)', collect)
    .option('--json', 'print JSON');
}

export function register(program: Command): void {
  const byok = program.command('byok').description("Bring-your-own-key tenant vaults: tenants, service tokens, users' key metadata, crypto-shredding purge");
  const tenant = byok.command('tenant').description('Manage BYOK tenants (one data key each, wrapped by the master key)');

  tenantOptions(tenant.command('create <tenant>').description('Create a tenant with a fresh data key; with --webhook-url, prints the webhook signing secret once')).action(async (id: string, options: TenantOptions) => {
    const created = await withCliContext(async (context) => {
      const vault = await tenantVaultOf(context);
      const result = await vault.createTenant(id, settingsFrom(options));
      await context.audit.record({ event: 'byok-tenant-create', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { tenant: id, webhook: result.tenant.settings.webhookUrl !== null } });
      return result;
    });
    if (options.json === true) printJson({ ...tenantJson(created.tenant), webhookSigningSecret: created.webhookSecret });
    else {
      process.stdout.write(`${colour.green('created')} BYOK tenant ${id}\n`);
      if (created.webhookSecret !== null) process.stdout.write(`webhook signing secret (shown once; verify notices with it): ${created.webhookSecret}\n`);
    }
  });

  tenantOptions(tenant.command('configure <tenant>').description("Change a tenant's reminder age, cadence, webhook or fallback policy"))
    .option('--new-webhook-secret', 'replace the webhook signing secret (printed once)')
    .action(async (id: string, options: TenantOptions & { newWebhookSecret?: boolean }) => {
      const configured = await withCliContext(async (context) => {
        const vault = await tenantVaultOf(context);
        const result = await vault.configureTenant(id, settingsFrom(options), { newWebhookSecret: options.newWebhookSecret === true });
        await context.audit.record({ event: 'byok-tenant-configure', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { tenant: id, newWebhookSecret: result.webhookSecret !== null } });
        return result;
      });
      if (options.json === true) printJson({ ...tenantJson(configured.tenant), webhookSigningSecret: configured.webhookSecret });
      else {
        process.stdout.write(`${colour.green('configured')} BYOK tenant ${id}\n`);
        if (configured.webhookSecret !== null) process.stdout.write(`webhook signing secret (shown once): ${configured.webhookSecret}\n`);
      }
    });

  tenant.command('show <tenant>').description("A tenant's settings (never its keys)").option('--json', 'print JSON').action(async (id: string, options: { json?: boolean }) => {
    const found = await withCliContext(async (context) => (await tenantVaultOf(context)).getTenant(id));
    if (options.json === true) printJson(tenantJson(found));
    else process.stdout.write(`${JSON.stringify(tenantJson(found), null, 2)}\n`);
  });

  const token = byok.command('token').description('Service tokens for the SaaS application (rk_byok_…), scoped to tenants');
  token
    .command('create')
    .description('Create a BYOK service token; it is printed once and never stored')
    .requiredOption('--name <name>', "the application's name")
    .requiredOption('--tenant <tenant>', 'a tenant it acts for (repeatable)', collect)
    .option('--ttl <seconds>', 'lifetime in seconds (default: until revoked)')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; tenant: string[]; ttl?: string; json?: boolean }) => {
      const { issueByokToken } = await import('../../byok/byok-tokens.js');
      const issued = await withCliContext(async (context) => {
        const result = await issueByokToken(context.store, { name: options.name, tenants: options.tenant, createdBy: context.actor, ...(options.ttl === undefined ? {} : { ttlSeconds: wholeNumber(options.ttl, '--ttl') }) }, new Date(), context.integrity.sealed ? context.integrity.rows : undefined);
        await context.audit.record({ event: 'byok-token-create', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { id: result.token.id, name: result.token.name, tenants: result.token.tenants } });
        return result;
      });
      if (options.json === true) printJson({ id: issued.token.id, name: issued.token.name, tenants: issued.token.tenants, token: issued.secret });
      else process.stdout.write(`${colour.green('created')} BYOK token ${issued.token.name} (${issued.token.id}) for ${issued.token.tenants.join(', ')}\n${issued.secret}\n`);
    });
  token.command('list').description('Live BYOK service tokens (never the secret)').option('--json', 'print JSON').action(async (options: { json?: boolean }) => {
    const tokens = await withCliContext(({ store }) => store.listByokTokens());
    if (options.json === true) printJson(tokens);
    else for (const each of tokens) process.stdout.write(`${each.id}  ${each.name}  ${each.tenants.join(',')}  ${each.expiresAt?.toISOString() ?? 'no expiry'}\n`);
  });
  token.command('revoke <idOrName>').description('Revoke a BYOK service token').option('--json', 'print JSON').action(async (idOrName: string, options: { json?: boolean }) => {
    const { revokeByokToken } = await import('../../byok/byok-tokens.js');
    const revoked = await withCliContext(async (context) => {
      const result = await revokeByokToken(context.store, idOrName, new Date(), context.integrity.sealed ? context.integrity.rows : undefined);
      await context.audit.record({ event: 'byok-token-revoke', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { id: result.id, name: result.name } });
      return result;
    });
    if (options.json === true) printJson(revoked);
    else process.stdout.write(`${colour.green('revoked')} BYOK token ${revoked.name} (${revoked.id})\n`);
  });

  byok
    .command('list <tenant>')
    .description("A tenant's stored keys: metadata only (user, provider, label, hint, status, created, last validated, last used, uses)")
    .option('--user <ref>', 'only this user')
    .option('--json', 'print JSON')
    .option('--output <format>', 'table, json or csv')
    .action(async (id: string, options: { user?: string; json?: boolean; output?: string }) => {
      const keys = await withCliContext(async (context) => {
        const vault = await tenantVaultOf(context);
        const all = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await vault.list(id, { userRef: options.user, afterId, limit: 1000 });
          if (page.length === 0) break;
          all.push(...page);
          afterId = page.at(-1)?.id;
        }
        return all;
      });
      const when = (date: Date | null) => date?.toISOString() ?? '-';
      printList(keys, [
        { header: 'ID', value: (key) => key.id },
        { header: 'USER', value: (key) => key.userRef },
        { header: 'PROVIDER', value: (key) => key.provider },
        { header: 'LABEL', value: (key) => key.label },
        { header: 'HINT', value: (key) => key.hint },
        { header: 'STATUS', value: (key) => key.status },
        { header: 'CREATED', value: (key) => when(key.createdAt) },
        { header: 'VALIDATED', value: (key) => when(key.lastValidatedAt) },
        { header: 'LAST USED', value: (key) => when(key.lastUsedAt) },
        { header: 'USES', value: (key) => String(key.uses) },
      ], outputFormat(options), (key) => ({ ...key, createdAt: when(key.createdAt), lastValidatedAt: key.lastValidatedAt?.toISOString() ?? null, lastUsedAt: key.lastUsedAt?.toISOString() ?? null }));
    });

  byok
    .command('purge-tenant <tenant>')
    .description("Destroy a tenant's data key (crypto-shredding), prove none of its keys decrypts any more, then remove its rows")
    .option('--yes', 'do not ask (required when not on a terminal)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { yes?: boolean; json?: boolean }) => {
      await confirm(`destroy the data key of BYOK tenant ${id}? every key of its users becomes unreadable at once`, options.yes);
      const report = await withCliContext(async (context) => {
        const vault = await tenantVaultOf(context);
        const result = await vault.purgeTenant(id, new Date());
        await context.audit.record({ event: 'byok-tenant-purge', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { ...result } });
        return result;
      });
      if (options.json === true) printJson(report);
      else {
        process.stdout.write(`${colour.green('purged')} BYOK tenant ${report.tenant}: data key destroyed; ${report.keys} key(s) tried, ${report.unreadable} unreadable, ${report.readable} readable\n`);
      }
    });
}
