/**
 * `rekey doctor` for the team's rows: which users, roles and role bindings fail their MAC,
 * and sealing them all when an install from before issue 11 is upgraded. Built-in roles
 * are sealed too: only their `requireMfa` lives in the table, and turning it off by SQL
 * would drop an MFA requirement.
 */
import type { SealedTable, Store } from '../store/store.js';
import { bindingMacFields, roleMacFields } from './role-service.js';
import type { RowIntegrity } from './team-deps.js';
import { userMacFields } from './user-service.js';

type TeamRowStore = Pick<Store, 'listUsers' | 'listRoles' | 'listRoleBindings' | 'setRowMac'>;

export async function inspectTeamRows(store: TeamRowStore, integrity: RowIntegrity): Promise<Array<{ table: SealedTable; row: string }>> {
  const tampered: Array<{ table: SealedTable; row: string }> = [];
  for (const user of await store.listUsers()) {
    if (!integrity.check('users', userMacFields(user), user.mac)) tampered.push({ table: 'users', row: `${user.id} (${user.name})` });
  }
  for (const role of await store.listRoles()) {
    if (!integrity.check('roles', roleMacFields(role), role.mac)) tampered.push({ table: 'roles', row: role.name });
  }
  for (const binding of await store.listRoleBindings()) {
    if (!integrity.check('role_bindings', bindingMacFields(binding), binding.mac)) tampered.push({ table: 'role_bindings', row: binding.id });
  }
  return tampered;
}

export async function sealTeamRows(store: TeamRowStore, integrity: RowIntegrity): Promise<Partial<Record<SealedTable, number>>> {
  const users = await store.listUsers();
  for (const user of users) await store.setRowMac('users', user.id, integrity.tag('users', userMacFields(user)));
  const roles = await store.listRoles();
  for (const role of roles) await store.setRowMac('roles', role.name, integrity.tag('roles', roleMacFields(role)));
  const bindings = await store.listRoleBindings();
  for (const binding of bindings) await store.setRowMac('role_bindings', binding.id, integrity.tag('role_bindings', bindingMacFields(binding)));
  return { users: users.length, roles: roles.length, role_bindings: bindings.length };
}
