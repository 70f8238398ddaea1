/** `rekey role list|add|remove|require-mfa|bind|unbind|bindings`: roles (RBAC, deny by default) and who holds them where. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { CAPABILITIES } from '../../core/team-types.js';
import type { RoleBindingRecord, RoleRecord } from '../../store/team-store-types.js';
import { bindingWire, roleWire, type BindingWire, type RoleWire } from '../../server/api/api-schemas.js';
import { withCliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { collect } from '../cli-options.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { teamDeps } from './user-command.js';

/** Roles and bindings as `--json` prints them: the API's wire shapes, so both modes print the same. */
export const roleJson = (role: RoleRecord): RoleWire => roleWire(role);
export const bindingJson = (binding: RoleBindingRecord): BindingWire => bindingWire(binding);

async function api() {
  const [{ openApiClient }, { z }, schemas] = await Promise.all([import('../server-client.js'), import('zod'), import('../../server/api/api-schemas.js')]);
  return { client: openApiClient(), z, schemas };
}

const roleColumns: Array<Column<RoleWire>> = [
  { header: 'ROLE', value: (role) => role.name },
  { header: 'BUILTIN', value: (role) => (role.builtin ? 'yes' : 'no') },
  { header: 'MFA', value: (role) => (role.requireMfa ? 'required' : '') },
  { header: 'CAPABILITIES', value: (role) => role.capabilities.join(',') },
];

const bindingColumns: Array<Column<BindingWire>> = [
  { header: 'ID', value: (binding) => binding.id },
  { header: 'ROLE', value: (binding) => binding.role },
  { header: 'SUBJECT', value: (binding) => `${binding.subjectKind}:${binding.subject}` },
  { header: 'SCOPE', value: (binding) => Object.entries(binding.scope).map(([field, value]) => `${field}=${String(value)}`).join(',') || 'everything' },
];

interface ScopeOptions { credentials?: string; environment?: string; provider?: string; ownerTeam?: string }

function subjectOf(options: { user?: string; group?: string }): { subjectKind: 'user' | 'group'; subject: string } {
  if ((options.user === undefined) === (options.group === undefined)) throw new UsageError('name exactly one of --user <name> or --group <group>');
  return options.user !== undefined ? { subjectKind: 'user', subject: options.user } : { subjectKind: 'group', subject: options.group as string };
}

export function register(program: Command): void {
  const role = program.command('role').description('Manage roles (capabilities on scopes) and role bindings to users and groups');

  role
    .command('list')
    .description('List roles: built-in (viewer, operator, admin, auditor) and custom')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const roles = serverUrl() !== undefined
        ? await api().then(({ client, z, schemas }) => client.request('GET', '/v1/roles', z.array(schemas.roleSchema)))
        : (await withCliContext(({ store }) => store.listRoles())).map(roleJson);
      printList(roles, roleColumns, format, (entry) => entry);
    });

  role
    .command('add <name>')
    .description(`Create or replace a custom role; capabilities: ${CAPABILITIES.join(', ')}`)
    .requiredOption('--capability <capability>', 'a capability the role grants (repeatable)', collect)
    .option('--description <text>', 'what the role is for')
    .option('--require-mfa', 'people must use MFA to act with this role')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { capability: string[]; description?: string; requireMfa?: boolean; json?: boolean }) => {
      const { saveRole } = await import('../../team/role-service.js');
      const saved = serverUrl() !== undefined
        ? await api().then(({ client, schemas }) => client.request('POST', '/v1/roles', schemas.roleSchema, { name, ...(options.description === undefined ? {} : { description: options.description }), capabilities: options.capability, requireMfa: options.requireMfa === true }))
        : roleJson(await withCliContext((context) => saveRole(teamDeps(context), { name, description: options.description, capabilities: options.capability, requireMfa: options.requireMfa === true })));
      if (options.json === true) return printJson(saved);
      process.stdout.write(`${colour.green('saved')} role ${saved.name}: ${saved.capabilities.join(', ')}${saved.requireMfa ? ' (MFA required)' : ''}\n`);
      return undefined;
    });

  role
    .command('remove <name>')
    .description('Remove a custom role that nobody is bound to')
    .action(async (name: string) => {
      const { removeRole } = await import('../../team/role-service.js');
      if (serverUrl() !== undefined) await api().then(({ client, z }) => client.request('DELETE', `/v1/roles/${encodeURIComponent(name)}`, z.object({ removed: z.string() })));
      else await withCliContext((context) => removeRole(teamDeps(context), name));
      process.stdout.write(`${colour.green('removed')} role ${name}\n`);
    });

  role
    .command('require-mfa <name>')
    .description('Require MFA of everyone acting with a role (built-in roles too); --off lifts it')
    .option('--off', 'no longer require MFA')
    .action(async (name: string, options: { off?: boolean }) => {
      const { setRoleMfa } = await import('../../team/role-service.js');
      const saved = serverUrl() !== undefined
        ? await api().then(({ client, schemas }) => client.request('POST', `/v1/roles/${encodeURIComponent(name)}/require-mfa`, schemas.roleSchema, { required: options.off !== true }))
        : await withCliContext((context) => setRoleMfa(teamDeps(context), name, options.off !== true));
      process.stdout.write(`role ${saved.name}: MFA ${saved.requireMfa ? 'required' : 'not required'}\n`);
    });

  role
    .command('bind <role>')
    .description('Grant a role to a user or a group on a scope (no scope option: everything)')
    .option('--user <name>', 'the user to bind')
    .option('--group <group>', 'the group to bind')
    .option('--credentials <glob>', 'credential names, e.g. "openai/*/prod" or "*/staging" (* spans slashes)')
    .option('--environment <glob>', 'credential environment')
    .option('--provider <glob>', 'credential provider')
    .option('--owner-team <glob>', "credential owner team (its 'team' tag)")
    .option('--json', 'print JSON')
    .action(async (roleName: string, options: ScopeOptions & { user?: string; group?: string; json?: boolean }) => {
      const subject = subjectOf(options);
      const { bindRole } = await import('../../team/role-service.js');
      const scope = { credentials: options.credentials, environment: options.environment, provider: options.provider, ownerTeam: options.ownerTeam };
      const binding = serverUrl() !== undefined
        ? await api().then(({ client, schemas }) => client.request('POST', '/v1/role-bindings', schemas.bindingSchema, { role: roleName, ...subject, scope: Object.fromEntries(Object.entries(scope).filter(([, value]) => value !== undefined)) }))
        : bindingJson(await withCliContext((context) => bindRole(teamDeps(context), { role: roleName, ...subject, scope })));
      if (options.json === true) return printJson(binding);
      process.stdout.write(`${colour.green('bound')} ${binding.role} to ${binding.subjectKind} ${binding.subject} (${binding.id})\n`);
      return undefined;
    });

  role
    .command('unbind <binding-id>')
    .description('Remove a role binding')
    .action(async (id: string) => {
      const { unbindRole } = await import('../../team/role-service.js');
      if (serverUrl() !== undefined) await api().then(({ client, z }) => client.request('DELETE', `/v1/role-bindings/${encodeURIComponent(id)}`, z.object({ removed: z.string() })));
      else await withCliContext((context) => unbindRole(teamDeps(context), id));
      process.stdout.write(`${colour.green('removed')} binding ${id}\n`);
    });

  role
    .command('bindings')
    .description('List role bindings')
    .option('--user <name>', 'only bindings to this user')
    .option('--group <group>', 'only bindings to this group')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { user?: string; group?: string; output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const filter = options.user !== undefined ? { subjectKind: 'user' as const, subject: options.user } : options.group !== undefined ? { subjectKind: 'group' as const, subject: options.group } : {};
      const bindings = serverUrl() !== undefined
        ? await api().then(({ client, z, schemas }) => client.request('GET', `/v1/role-bindings${options.user !== undefined ? `?user=${encodeURIComponent(options.user)}` : options.group !== undefined ? `?group=${encodeURIComponent(options.group)}` : ''}`, z.array(schemas.bindingSchema)))
        : (await withCliContext(({ store }) => store.listRoleBindings(filter))).map(bindingJson);
      printList(bindings, bindingColumns, format, (entry) => entry);
    });
}
