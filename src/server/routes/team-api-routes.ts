/**
 * People, roles and role bindings over the management API, all `manage-users`
 * (install-wide): list and add users, disable one (their sessions end), list roles, list,
 * add and remove bindings. Every change goes through the team services and is audited
 * with the acting person.
 */
import { z } from 'zod';
import { INSTALL_TARGET } from '../../team/access-control.js';
import { bindRole, removeRole, saveRole, setRoleMfa, unbindRole } from '../../team/role-service.js';
import type { TeamDeps } from '../../team/team-deps.js';
import { addUser, disableUser, resetUserMfa } from '../../team/user-service.js';
import type { ApiActor } from '../api/api-actor.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';
import { bindingSchema, bindingWire, roleSchema, roleWire, scopeSchema, userSchema, userWire } from '../api/api-schemas.js';

export const addUserBody = z
  .object({
    name: z.string().min(1).max(64),
    displayName: z.string().max(200).nullable().optional(),
    groups: z.array(z.string()).max(100).optional(),
    password: z.string().min(1).max(1024).nullable().describe('null: no password (SSO only)'),
  })
  .strict()
  .meta({ id: 'UserAdd' });

export const bindRoleBody = z
  .object({ role: z.string().min(1).max(48), subjectKind: z.enum(['user', 'group']), subject: z.string().min(1).max(128), scope: scopeSchema })
  .strict()
  .meta({ id: 'RoleBindingAdd' });

export const saveRoleBody = z
  .object({ name: z.string().min(1).max(48), description: z.string().max(200).optional(), capabilities: z.array(z.string()).min(1).max(20), requireMfa: z.boolean().optional() })
  .strict()
  .meta({ id: 'RoleSave' });

export function teamApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  const access = async () => ({ capability: 'manage-users' as const, target: INSTALL_TARGET });
  const teamOf = (actor: ApiActor): TeamDeps => ({ store, audit: actor.audit, clock: services.clock, actor: actor.name, integrity: services.integrity });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/users',
      operationId: 'user-list',
      summary: 'People (local accounts), never their password hashes',
      tag: 'team',
      response: z.array(userSchema),
      access,
      async handle() {
        return (await store.listUsers()).map(userWire);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/users',
      operationId: 'user-add',
      summary: 'Add a local account (password hashed with scrypt)',
      tag: 'team',
      body: addUserBody,
      response: userSchema,
      status: 201,
      access,
      async handle({ body, actor }) {
        return userWire(await addUser(teamOf(actor), { name: body.name, displayName: body.displayName, groups: body.groups, password: body.password }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/users/{name}/disable',
      operationId: 'user-disable',
      summary: 'Disable an account; its sessions end at once',
      tag: 'team',
      params: z.object({ name: z.string().min(1).max(64) }),
      response: z.object({ user: userSchema, sessionsEnded: z.number().int() }),
      access,
      async handle({ params, actor }) {
        const result = await disableUser(teamOf(actor), params.name);
        return { user: userWire(result.user), sessionsEnded: result.sessionsEnded };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/users/{name}/reset-mfa',
      operationId: 'user-reset-mfa',
      summary: "Withdraw a person's TOTP secret, recovery codes and passkeys (lost device); their sessions end",
      tag: 'team',
      params: z.object({ name: z.string().min(1).max(64) }),
      response: z.object({ user: userSchema, sessionsEnded: z.number().int(), passkeysRemoved: z.number().int() }),
      access,
      async handle({ params, actor }) {
        const result = await resetUserMfa(teamOf(actor), params.name);
        return { user: userWire(result.user), sessionsEnded: result.sessionsEnded, passkeysRemoved: result.passkeysRemoved };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/roles',
      operationId: 'role-save',
      summary: 'Create or replace a custom role (capabilities it grants; require MFA of its holders)',
      tag: 'team',
      body: saveRoleBody,
      response: roleSchema,
      status: 201,
      access,
      async handle({ body, actor }) {
        return roleWire(await saveRole(teamOf(actor), { name: body.name, description: body.description, capabilities: body.capabilities, requireMfa: body.requireMfa === true }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/roles/{name}/require-mfa',
      operationId: 'role-require-mfa',
      summary: 'Require MFA of everyone acting with a role (built-in roles too), or lift it',
      tag: 'team',
      params: z.object({ name: z.string().min(1).max(48) }),
      body: z.object({ required: z.boolean() }).strict().meta({ id: 'RoleMfa' }),
      response: roleSchema,
      access,
      async handle({ params, body, actor }) {
        return roleWire(await setRoleMfa(teamOf(actor), params.name, body.required));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/roles/{name}',
      operationId: 'role-remove',
      summary: 'Remove a custom role that nobody is bound to',
      tag: 'team',
      params: z.object({ name: z.string().min(1).max(48) }),
      response: z.object({ removed: z.string() }),
      access,
      async handle({ params, actor }) {
        await removeRole(teamOf(actor), params.name);
        return { removed: params.name };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/roles',
      operationId: 'role-list',
      summary: 'Roles: built-in (viewer, operator, admin, auditor) and custom',
      tag: 'team',
      response: z.array(roleSchema),
      access,
      async handle() {
        return (await store.listRoles()).map(roleWire);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/role-bindings',
      operationId: 'role-binding-list',
      summary: 'Role bindings, optionally of one user or group',
      tag: 'team',
      query: z.object({ user: z.string().optional(), group: z.string().optional() }).strict(),
      response: z.array(bindingSchema),
      access,
      async handle({ query }) {
        const filter = query.user !== undefined ? { subjectKind: 'user' as const, subject: query.user } : query.group !== undefined ? { subjectKind: 'group' as const, subject: query.group } : {};
        return (await store.listRoleBindings(filter)).map(bindingWire);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/role-bindings',
      operationId: 'role-bind',
      summary: 'Grant a role to a user or a group on a scope ({} is everything)',
      tag: 'team',
      body: bindRoleBody,
      response: bindingSchema,
      status: 201,
      access,
      async handle({ body, actor }) {
        return bindingWire(await bindRole(teamOf(actor), body));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/role-bindings/{id}',
      operationId: 'role-unbind',
      summary: 'Remove a role binding',
      tag: 'team',
      params: z.object({ id: z.string().min(1).max(100) }),
      response: z.object({ removed: z.string() }),
      access,
      async handle({ params, actor }) {
        await unbindRole(teamOf(actor), params.id);
        return { removed: params.id };
      },
    }),
  ];
}
