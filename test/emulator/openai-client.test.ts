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
});
