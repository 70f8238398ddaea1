/**
 * `/v1/organization/invites` (list, create, get, delete) and
 * `/v1/organization/projects/{id}/users` (list, add, get, change role, remove), shaped as
 * the official `Invite` and `ProjectUser` schemas. An invite stays pending (nobody accepts
 * in the emulator); project membership refers to organisation users by id.
 */
import { Hono, type Context } from 'hono';
import { BadRequest, optionalString, readJsonObject, requiredString } from './emulator-http.js';
import type { EmulatedInvite, EmulatedProjectMember, EmulatedUser } from './emulator-state.js';
import { openaiNotFound, type EmulatorDeps, type OpenAIEnv } from './openai-auth.js';
import { listEnvelope, seconds } from './openai-objects.js';

const INVITE_LIFETIME_MS = 7 * 86_400_000;

export function inviteObject(invite: EmulatedInvite) {
  return {
    object: 'organization.invite',
    id: invite.id,
    email: invite.email,
    role: invite.role,
    status: invite.status,
    created_at: seconds(invite.createdAt),
    expires_at: seconds(invite.expiresAt),
    accepted_at: invite.acceptedAt === null ? null : seconds(invite.acceptedAt),
    projects: invite.projects,
  };
}

export function projectUserObject(member: EmulatedProjectMember, user: EmulatedUser) {
  return { object: 'organization.project.user', id: user.id, name: user.name, email: user.email, role: member.role, added_at: seconds(member.addedAt) };
}

function projectRole(value: unknown, field: string): 'owner' | 'member' {
  if (value !== 'owner' && value !== 'member') throw new BadRequest(`Invalid '${field}': expected 'owner' or 'member'.`, field);
  return value;
}

export function createOpenAIMembersRoutes(deps: EmulatorDeps): Hono<OpenAIEnv> {
  const { state } = deps;
  const app = new Hono<OpenAIEnv>();
  const actor = (context: Context<OpenAIEnv>) => context.get('key').id;
  const invites = () => (state.data.invites ??= []);
  const members = () => (state.data.projectMembers ??= []);
  const liveUser = (id: string) => state.data.users.find((user) => user.id === id && user.removedAt == null);

  app.get('/invites', (context) => context.json(listEnvelope(context, invites(), (invite) => invite.id, inviteObject)));

  app.post('/invites', async (context) => {
    const body = await readJsonObject(context);
    const email = requiredString(body, 'email');
    const role = requiredString(body, 'role');
    if (role !== 'owner' && role !== 'reader') throw new BadRequest("Invalid 'role': expected 'owner' or 'reader'.", 'role');
    const projects = body['projects'];
    if (projects !== undefined && !Array.isArray(projects)) throw new BadRequest("Invalid 'projects': expected an array.", 'projects');
    const granted = (projects as unknown[] | undefined)?.map((entry, index) => {
      const item = (entry ?? {}) as Record<string, unknown>;
      const id = item['id'];
      if (typeof id !== 'string' || state.findProject(id) === undefined) throw new BadRequest(`Invalid 'projects[${index}].id': no such project.`, 'projects');
      return { id, role: projectRole(item['role'], `projects[${index}].role`) };
    });
    const defaultProject = state.data.projects[0];
    const now = state.nowMs();
    const invite: EmulatedInvite = {
      id: `invite-${state.ids.alphanumeric(24)}`,
      email,
      role,
      status: 'pending',
      createdAt: now,
      expiresAt: now + INVITE_LIFETIME_MS,
      acceptedAt: null,
      projects: granted ?? (defaultProject === undefined ? [] : [{ id: defaultProject.id, role: 'member' }]),
    };
    invites().push(invite);
    state.audit({ type: 'invite.sent', projectId: null, actorKeyId: actor(context), details: { id: invite.id, data: { email, role } } });
    return context.json(inviteObject(invite));
  });

  app.get('/invites/:invite_id', (context) => {
    const invite = invites().find((candidate) => candidate.id === context.req.param('invite_id'));
    return invite === undefined ? openaiNotFound(context, 'invite', context.req.param('invite_id')) : context.json(inviteObject(invite));
  });

  app.delete('/invites/:invite_id', (context) => {
    const invite = invites().find((candidate) => candidate.id === context.req.param('invite_id'));
    if (invite === undefined) return openaiNotFound(context, 'invite', context.req.param('invite_id'));
    if (invite.status === 'accepted') throw new BadRequest('An accepted invite cannot be deleted.', 'invite_id');
    state.data.invites = invites().filter((candidate) => candidate !== invite);
    state.audit({ type: 'invite.deleted', projectId: null, actorKeyId: actor(context), details: { id: invite.id } });
    return context.json({ object: 'organization.invite.deleted', id: invite.id, deleted: true });
  });

  const withProject = (context: Context<OpenAIEnv>, then: (projectId: string) => Response | Promise<Response>) => {
    const project = state.findProject(context.req.param('project_id') ?? '');
    return project === undefined ? openaiNotFound(context, 'project', context.req.param('project_id') ?? '') : then(project.id);
  };
  const membersOf = (projectId: string) =>
    members().flatMap((member) => {
      const user = member.projectId === projectId ? liveUser(member.userId) : undefined;
      return user === undefined ? [] : [{ member, user }];
    });

  app.get('/projects/:project_id/users', (context) =>
    withProject(context, (projectId) => context.json(listEnvelope(context, membersOf(projectId), (entry) => entry.user.id, (entry) => projectUserObject(entry.member, entry.user)))),
  );

  app.post('/projects/:project_id/users', (context) =>
    withProject(context, async (projectId) => {
      const body = await readJsonObject(context);
      const userId = optionalString(body, 'user_id');
      const email = optionalString(body, 'email');
      const user = state.data.users.find((candidate) => candidate.removedAt == null && (candidate.id === userId || (userId === undefined && candidate.email === email)));
      if (user === undefined) throw new BadRequest('The user must be a member of the organization (give user_id or email).', userId === undefined ? 'email' : 'user_id');
      if (membersOf(projectId).some((entry) => entry.user.id === user.id)) throw new BadRequest(`User ${user.id} is already a member of this project.`, 'user_id');
      const member: EmulatedProjectMember = { projectId, userId: user.id, role: projectRole(body['role'], 'role'), addedAt: state.nowMs() };
      members().push(member);
      return context.json(projectUserObject(member, user));
    }),
  );

  const findMember = (projectId: string, userId: string) => membersOf(projectId).find((entry) => entry.user.id === userId);

  app.get('/projects/:project_id/users/:user_id', (context) =>
    withProject(context, (projectId) => {
      const entry = findMember(projectId, context.req.param('user_id'));
      return entry === undefined ? openaiNotFound(context, 'project user', context.req.param('user_id')) : context.json(projectUserObject(entry.member, entry.user));
    }),
  );

  app.post('/projects/:project_id/users/:user_id', (context) =>
    withProject(context, async (projectId) => {
      const entry = findMember(projectId, context.req.param('user_id'));
      if (entry === undefined) return openaiNotFound(context, 'project user', context.req.param('user_id'));
      entry.member.role = projectRole((await readJsonObject(context))['role'], 'role');
      return context.json(projectUserObject(entry.member, entry.user));
    }),
  );

  app.delete('/projects/:project_id/users/:user_id', (context) =>
    withProject(context, (projectId) => {
      const entry = findMember(projectId, context.req.param('user_id'));
      if (entry === undefined) return openaiNotFound(context, 'project user', context.req.param('user_id'));
      state.data.projectMembers = members().filter((member) => member !== entry.member);
      return context.json({ object: 'organization.project.user.deleted', id: entry.user.id, deleted: true });
    }),
  );

  return app;
}
