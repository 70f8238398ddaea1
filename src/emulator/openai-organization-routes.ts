/** `/v1/organization/admin_api_keys` and `/v1/organization/users` (list, get, modify role, remove). */
import { Hono } from 'hono';
import { BadRequest, optionalString, queryArray, readJsonObject, requiredString } from './emulator-http.js';
import { generateKeyValue, redactOpenAI } from './emulator-random.js';
import { openaiNotFound, type EmulatorDeps, type OpenAIEnv } from './openai-auth.js';
import { adminKeyObject, listEnvelope, newKeyId, ownerUser, userObject } from './openai-objects.js';

export function createOpenAIOrganizationRoutes(deps: EmulatorDeps): Hono<OpenAIEnv> {
  const { state } = deps;
  const app = new Hono<OpenAIEnv>();
  const adminKeys = () => state.data.keys.filter((key) => key.provider === 'openai' && key.kind === 'admin' && key.status === 'active');

  app.get('/admin_api_keys', (context) => {
    const order = context.req.query('order') ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new BadRequest("Invalid 'order': expected 'asc' or 'desc'.", 'order');
    const keys = order === 'asc' ? adminKeys() : adminKeys().reverse();
    return context.json(listEnvelope(context, keys, (key) => key.id, (key) => adminKeyObject(state, key)));
  });

  app.post('/admin_api_keys', async (context) => {
    const body = await readJsonObject(context);
    const name = requiredString(body, 'name');
    const expiresIn = body['expires_in_seconds'];
    if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 31536000)) {
      throw new BadRequest("Invalid 'expires_in_seconds': expected an integer between 1 and 31536000.", 'expires_in_seconds');
    }
    const value = generateKeyValue('openai-admin');
    const now = state.nowMs();
    const key = state.addKey(
      {
        provider: 'openai',
        id: newKeyId(state),
        kind: 'admin',
        name,
        redacted: redactOpenAI(value),
        createdAt: now,
        skipActivationDelay: false,
        status: 'active',
        expiresAt: typeof expiresIn === 'number' ? now + expiresIn * 1000 : null,
        projectId: null,
        serviceAccountId: null,
        ownerUserId: ownerUser(state).id,
        workspaceId: null,
        scopes: [],
        openrouter: null,
      },
      value,
    );
    return context.json({ ...adminKeyObject(state, key), value });
  });

  app.get('/admin_api_keys/:key_id', (context) => {
    const key = adminKeys().find((candidate) => candidate.id === context.req.param('key_id'));
    return key === undefined ? openaiNotFound(context, 'admin API key', context.req.param('key_id')) : context.json(adminKeyObject(state, key));
  });

  app.delete('/admin_api_keys/:key_id', (context) => {
    const key = adminKeys().find((candidate) => candidate.id === context.req.param('key_id'));
    if (key === undefined) return openaiNotFound(context, 'admin API key', context.req.param('key_id'));
    state.setKeyStatus(key, 'revoked');
    return context.json({ id: key.id, object: 'organization.admin_api_key.deleted', deleted: true });
  });

  app.get('/users', (context) => {
    const emails = queryArray(context, 'emails');
    const users = state.data.users.filter((user) => user.removedAt == null && (emails.length === 0 || emails.includes(user.email)));
    return context.json(listEnvelope(context, users, (user) => user.id, userObject));
  });

  const findUser = (id: string) => state.data.users.find((candidate) => candidate.id === id && candidate.removedAt == null);

  app.get('/users/:user_id', (context) => {
    const user = findUser(context.req.param('user_id'));
    return user === undefined ? openaiNotFound(context, 'user', context.req.param('user_id')) : context.json(userObject(user));
  });

  app.post('/users/:user_id', async (context) => {
    const user = findUser(context.req.param('user_id'));
    if (user === undefined) return openaiNotFound(context, 'user', context.req.param('user_id'));
    const role = optionalString(await readJsonObject(context), 'role');
    if (role !== undefined && role !== 'owner' && role !== 'reader') throw new BadRequest("Invalid 'role': expected 'owner' or 'reader'.", 'role');
    if (role !== undefined) user.role = role;
    state.audit({ type: 'user.updated', projectId: null, actorKeyId: context.get('key').id, details: { id: user.id, changes_requested: { role: user.role } } });
    return context.json(userObject(user));
  });

  app.delete('/users/:user_id', (context) => {
    const user = findUser(context.req.param('user_id'));
    if (user === undefined) return openaiNotFound(context, 'user', context.req.param('user_id'));
    if (user === ownerUser(state)) throw new BadRequest('The organization owner cannot be removed.', 'user_id');
    user.removedAt = state.nowMs();
    state.data.projectMembers = (state.data.projectMembers ?? []).filter((member) => member.userId !== user.id);
    state.audit({ type: 'user.deleted', projectId: null, actorKeyId: context.get('key').id, details: { id: user.id } });
    return context.json({ object: 'organization.user.deleted', id: user.id, deleted: true });
  });

  return app;
}
