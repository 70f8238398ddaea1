/** The official `openai` client pointed at the emulator: inference and the admin calls it supports. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';

let emulator: RunningEmulator;
let admin: OpenAI;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 7 });
  admin = new OpenAI({ apiKey: null, adminAPIKey: emulator.adminKeys.openai.reveal(), baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
});
afterAll(async () => {
  await emulator.close();
});

function inferenceClient(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
}

describe('openai client against the emulator', () => {
  it('mints a service account key that lists models, and deleting the account kills the key', async () => {
    const project = await admin.admin.organization.projects.create({ name: 'ticketing' });
    const created = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: 'rot-1' });
    expect(created.api_key?.value).toMatch(/^sk-svcacct-[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}$/);
    const value = created.api_key?.value ?? '';
    expect(emulator.isKeyLive(value)).toBe(true);

    const models = await inferenceClient(value).models.list();
    expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');

    const accounts = await admin.admin.organization.projects.serviceAccounts.list(project.id);
    expect(accounts.data.map((account) => account.id)).toEqual([created.id]);

    const keys = await admin.admin.organization.projects.apiKeys.list(project.id);
    expect(keys.data).toHaveLength(1);
    expect(keys.data[0]?.owner?.type).toBe('service_account');
    expect(keys.data[0]?.last_used_at).toEqual(expect.any(Number));

    const deleted = await admin.admin.organization.projects.serviceAccounts.delete(created.id, { project_id: project.id });
    expect(deleted).toMatchObject({ id: created.id, deleted: true, object: 'organization.project.service_account.deleted' });
    expect(emulator.isKeyLive(value)).toBe(false);
    const error = await inferenceClient(value).models.list().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    expect(JSON.stringify(error)).not.toContain(value);
  });

  it('answers chat completions with usage, plain and streamed (with the usage chunk)', async () => {
    const seeded = await emulator.seedOpenAIProject('chat');
    const client = inferenceClient(seeded.key.reveal());
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toContain('rekey emulator');
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));

    const again = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    expect(again.choices[0]?.message.content).toBe(completion.choices[0]?.message.content);

    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageChunks += 1;
    }
    expect(text).toBe(completion.choices[0]?.message.content);
    expect(usageChunks).toBe(1);

    const limited = await client.chat.completions.create({ model: 'gpt-4o', max_tokens: 1, messages: [{ role: 'user', content: 'probe' }] });
    expect(limited.choices[0]?.finish_reason).toBe('length');
  });

  it('sends x-request-id and x-ratelimit-* headers on inference', async () => {
    const seeded = await emulator.seedOpenAIProject('headers');
    const { response } = await inferenceClient(seeded.key.reveal())
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    for (const name of ['limit-requests', 'limit-tokens', 'remaining-requests', 'remaining-tokens', 'reset-requests', 'reset-tokens']) {
      expect(response.headers.get(`x-ratelimit-${name}`)).not.toBeNull();
    }
  });

  it('returns deterministic unit-length embeddings, as floats and base64', async () => {
    const seeded = await emulator.seedOpenAIProject('embed');
    const client = inferenceClient(seeded.key.reveal());
    const first = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    const second = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', encoding_format: 'float' });
    expect(first.data).toHaveLength(2);
    expect(first.data[0]?.embedding).toHaveLength(1536);
    expect(second.data[0]?.embedding).toEqual(first.data[0]?.embedding.map((value) => expect.closeTo(value, 6)));
    const norm = Math.sqrt((second.data[0]?.embedding ?? []).reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(first.data[1]?.embedding).not.toEqual(first.data[0]?.embedding);
  });

  it('counts real requests per api key in usage, last_used_at and costs', async () => {
    const project = await admin.admin.organization.projects.create({ name: 'metered' });
    const one = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: 'one' });
    const two = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: 'two' });
    const start = Math.floor(Date.now() / 1000) - 60;
    for (const account of [one, one, one, two]) {
      await inferenceClient(account.api_key?.value ?? '').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'metered' }] });
    }
    const usage = await admin.admin.organization.usage.completions({ start_time: start, bucket_width: '1m', group_by: ['api_key_id', 'model'], project_ids: [project.id], limit: 5 });
    const results = usage.data.flatMap((bucket) => bucket.results) as Array<{ api_key_id: string | null; num_model_requests: number; model: string | null }>;
    const requestsFor = (id: string | undefined) => results.filter((result) => result.api_key_id === id).reduce((sum, result) => sum + result.num_model_requests, 0);
    expect(requestsFor(one.api_key?.id)).toBe(3);
    expect(requestsFor(two.api_key?.id)).toBe(1);
    expect(results.every((result) => result.model === 'gpt-4o-mini')).toBe(true);

    const keys = await admin.admin.organization.projects.apiKeys.list(project.id);
    const now = Math.floor(Date.now() / 1000);
    for (const key of keys.data) expect(Math.abs((key.last_used_at ?? 0) - now)).toBeLessThan(30);

    const costs = await admin.admin.organization.usage.costs({ start_time: start, group_by: ['api_key_id'], project_ids: [project.id] });
    const amountFor = (id: string | undefined) =>
      costs.data.flatMap((bucket) => bucket.results as Array<{ api_key_id?: string | null; amount?: { value?: number } }>).filter((result) => result.api_key_id === id).reduce((sum, result) => sum + (result.amount?.value ?? 0), 0);
    expect(amountFor(one.api_key?.id)).toBeCloseTo(3 * amountFor(two.api_key?.id), 10);
    expect(amountFor(two.api_key?.id)).toBeGreaterThan(0);
  });

  it('pages usage buckets with next_page', async () => {
    const start = Math.floor(Date.now() / 1000) - 10 * 60;
    const first = await admin.admin.organization.usage.completions({ start_time: start, bucket_width: '1m', limit: 4 });
    expect(first.data).toHaveLength(4);
    expect(first.has_more).toBe(true);
    const second = await admin.admin.organization.usage.completions({ start_time: start, bucket_width: '1m', limit: 4, page: first.next_page ?? '' });
    expect(second.data[0]?.start_time).toBe(start + 4 * 60);
  });

  it('manages admin api keys, and the new admin key works while a deleted one does not', async () => {
    const created = await admin.admin.organization.adminAPIKeys.create({ name: 'next-admin' });
    expect(created.value).toMatch(/^sk-admin-[A-Za-z0-9_-]{58}T3BlbkFJ[A-Za-z0-9_-]{58}$/);
    const next = new OpenAI({ apiKey: null, adminAPIKey: created.value ?? '', baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
    const listed = await next.admin.organization.adminAPIKeys.list();
    expect(listed.data.map((key) => key.id)).toContain(created.id);
    expect((await next.admin.organization.adminAPIKeys.retrieve(created.id)).redacted_value).not.toContain(created.value ?? '');
    const deleted = await admin.admin.organization.adminAPIKeys.delete(created.id);
    expect(deleted).toMatchObject({ id: created.id, deleted: true });
    await expect(next.admin.organization.projects.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses a project key on admin routes and an unknown key on inference with the real envelopes', async () => {
    const seeded = await emulator.seedOpenAIProject('scoped');
    const wrongKind = new OpenAI({ apiKey: null, adminAPIKey: seeded.key.reveal(), baseURL: emulator.openaiBaseUrl, maxRetries: 0 });
    await expect(wrongKind.admin.organization.projects.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const response = await fetch(`${emulator.openaiBaseUrl}/models`, { headers: { authorization: 'Bearer sk-proj-not-a-real-key-at-all-0000' } });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string; type: string; param: null; message: string } };
    expect(body.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error', param: null });
    expect(body.error.message).toMatch(/^Incorrect API key provided: sk-proj-\*+0000\. /);
    const missing = await fetch(`${emulator.openaiBaseUrl}/models`);
    expect(missing.status).toBe(401);
  });

  it('archives projects, which then reject modification and stop their keys', async () => {
    const seeded = await emulator.seedOpenAIProject('to-archive');
    const archived = await admin.admin.organization.projects.archive(seeded.projectId);
    expect(archived.status).toBe('archived');
    await expect(admin.admin.organization.projects.update(seeded.projectId, { name: 'renamed' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(admin.admin.organization.projects.serviceAccounts.create(seeded.projectId, { name: 'late' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);
    const active = await admin.admin.organization.projects.list();
    expect(active.data.map((project) => project.id)).not.toContain(seeded.projectId);
    const all = await admin.admin.organization.projects.list({ include_archived: true });
    expect(all.data.map((project) => project.id)).toContain(seeded.projectId);
  });

  it('project api key delete: 400 for service-account keys, works for user keys', async () => {
    const seeded = await emulator.seedOpenAIProject('deletes');
    await expect(admin.admin.organization.projects.apiKeys.delete(seeded.keyId, { project_id: seeded.projectId })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(true);
    const user = emulator.createOpenAIUserKey(seeded.projectId, 'dashboard key');
    expect(user.key.reveal()).toMatch(/^sk-proj-/);
    const fetched = await admin.admin.organization.projects.apiKeys.retrieve(user.keyId, { project_id: seeded.projectId });
    expect(fetched.owner?.type).toBe('user');
    await admin.admin.organization.projects.apiKeys.delete(user.keyId, { project_id: seeded.projectId });
    expect(emulator.isKeyLive(user.key.reveal())).toBe(false);
  });

  it('creates a second key on the same service account', async () => {
    const seeded = await emulator.seedOpenAIProject('second-key');
    const extra = await admin.admin.organization.projects.serviceAccounts.apiKeys.create(seeded.serviceAccountId, { project_id: seeded.projectId, name: 'second' });
    expect(extra.value).toMatch(/^sk-svcacct-/);
    expect(emulator.isKeyLive(extra.value)).toBe(true);
    await admin.admin.organization.projects.serviceAccounts.delete(seeded.serviceAccountId, { project_id: seeded.projectId });
    expect(emulator.isKeyLive(extra.value)).toBe(false);
    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);
  });

  it('lists and modifies rate limits, lists users, and records audit logs for keys and service accounts', async () => {
    const seeded = await emulator.seedOpenAIProject('limits');
    const limits = await admin.admin.organization.projects.rateLimits.listRateLimits(seeded.projectId);
    const mini = limits.data.find((limit) => limit.model === 'gpt-4o-mini');
    expect(mini).toBeDefined();
    const modified = await admin.admin.organization.projects.rateLimits.updateRateLimit(mini?.id ?? '', { project_id: seeded.projectId, max_requests_per_1_minute: 7 });
    expect(modified.max_requests_per_1_minute).toBe(7);
    const { response } = await inferenceClient(seeded.key.reveal()).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('7');

    const users = await admin.admin.organization.users.list();
    expect(users.data[0]?.role).toBe('owner');

    await admin.admin.organization.projects.serviceAccounts.delete(seeded.serviceAccountId, { project_id: seeded.projectId });
    const logs = await admin.admin.organization.auditLogs.list({ project_ids: [seeded.projectId], event_types: ['api_key.created', 'api_key.deleted', 'service_account.deleted'] });
    const types = logs.data.map((entry) => entry.type);
    expect(types).toEqual(['service_account.deleted', 'api_key.deleted', 'api_key.created']);
    const deletedKey = logs.data.find((entry) => entry.type === 'api_key.deleted') as unknown as Record<string, { id?: string }>;
    expect(deletedKey['api_key.deleted']?.id).toBe(seeded.keyId);
  });
});
