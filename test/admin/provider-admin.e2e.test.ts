/**
 * `rekey openai …`, `rekey anthropic …` and `rekey usage` against the emulator's seeded
 * organisation, in process (the real CLI entry, real HTTP on loopback): every listing and
 * report in every output format, JSON / NDJSON / CSV / YAML parsed back and compared;
 * changes with --dry-run (nothing sent) and --yes; bad input; a key without permission;
 * joins with a credential registered in a real rekey home.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAI_RESOURCES } from '../../src/admin/openai-admin-resources.js';
import { ANTHROPIC_RESOURCES } from '../../src/admin/anthropic-admin-resources.js';
import { OPENAI_USAGE_REPORTS } from '../../src/admin/admin-reports.js';
import { startEmulator, type RunningEmulator, type SeededOrganization } from '../../src/emulator/emulator.js';
import { runRekey, temporaryHome } from '../helpers/cli-runner.js';
import { everyFormat, rekeyInProcess, restoreEnv, setEnv, type Parsed } from '../helpers/in-process-cli.js';

let emulator: RunningEmulator;
let seeded: SeededOrganization;
let home: string;
const rekey = rekeyInProcess;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 1414 });
  seeded = emulator.seedOrganization({ days: 35 });
  home = temporaryHome('rekey-admin-');
  setEnv({
    OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
    OPENAI_BASE_URL: emulator.openaiBaseUrl,
    ANTHROPIC_ADMIN_KEY: emulator.adminKeys.anthropic.reveal(),
    ANTHROPIC_BASE_URL: emulator.anthropicBaseUrl,
    REKEY_HOME: home,
    REKEY_DATABASE_URL: undefined,
    NO_COLOR: '1',
  });
  expect((await runRekey(['init'], { env: { REKEY_HOME: home } })).code).toBe(0);
  const ticketing = seeded.openai.keys['ticketing-prod'];
  const add = await runRekey(
    ['credential', 'add', 'openai/ticketing/prod', '--provider', 'openai', '--scope', `project=${ticketing?.projectId}`, '--owner', 'team-support', '--environment', 'prod', '--provider-key-id', ticketing?.id ?? '', '--read-value', '--force'],
    { env: { REKEY_HOME: home }, input: `${ticketing?.value.reveal()}\n` },
  );
  expect(add.code, add.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await emulator.close();
});

describe('rekey openai / anthropic listings in every output format', () => {
  it.each(OPENAI_RESOURCES.filter((spec) => spec.list !== undefined).map((spec) => spec.noun))('openai %s list', async (noun) => {
    const rows = await everyFormat('openai', noun, 'list');
    if (noun !== 'certificates') expect(rows.length, noun).toBeGreaterThan(0);
  });

  it.each(ANTHROPIC_RESOURCES.filter((spec) => spec.list !== undefined).map((spec) => spec.noun))('anthropic %s list', async (noun) => {
    expect((await everyFormat('anthropic', noun, 'list')).length).toBeGreaterThan(0);
  });

  it('keys list joins the registered credential, its owner and environment next to the provider key id', async () => {
    const rows = await everyFormat('openai', 'keys', 'list', '--filter', 'name~-');
    const ticketing = rows.find((row) => row['id'] === seeded.openai.keys['ticketing-prod']?.id);
    expect(ticketing).toMatchObject({ credential: 'openai/ticketing/prod', credential_owner: 'team-support', environment: 'prod', owner: 'ticketing-prod', 'owner.type': 'service_account' });
    expect(rows.find((row) => row['name'] === 'tmp-debug')).toMatchObject({ credential: '(unmanaged)', owner: 'carol@example.com' });
  });
});

describe('reports', () => {
  it.each(OPENAI_USAGE_REPORTS.map((spec) => spec.name.replaceAll('_', '-')))('openai usage %s, grouped by day', async (kind) => {
    const rows = await everyFormat('openai', 'usage', kind, '--since', '10d', '--group-by', 'day');
    // The seed puts one record in each UTC day at a random hour; the API's day buckets start at
    // start_time, so one bucket can hold two records and its neighbour none. Over ten days at
    // most two records share a bucket: at least five buckets have rows, each a day of the window.
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const since = Date.now() - 10 * 86_400_000 - 86_400_000;
    for (const row of rows) expect(Date.parse(String(row['day']))).toBeGreaterThanOrEqual(since);
  });

  it('openai usage completions --since 30d --group-by project,model: sums per project and model equal the raw buckets', async () => {
    const grouped = await everyFormat('openai', 'usage', 'completions', '--since', '30d', '--group-by', 'project,model');
    const raw = JSON.parse((await rekey('openai', 'usage', 'completions', '--since', '30d', '--bucket', '1h', '--group-by', 'project,model,day', '--output', 'json')).stdout) as Parsed;
    const ticketing = seeded.openai.projects['ticketing'];
    const sum = raw.filter((row) => row['project_id'] === ticketing && row['model'] === 'gpt-4o').reduce((total, row) => total + Number(row['num_model_requests']), 0);
    expect(grouped.find((row) => row['project_id'] === ticketing && row['model'] === 'gpt-4o')?.['num_model_requests']).toBe(sum);
    expect(new Set(grouped.map((row) => row['model']))).toEqual(new Set(['gpt-4o', 'gpt-4o-mini', 'gpt-4.1']));
    const table = await rekey('openai', 'usage', 'completions', '--since', '30d', '--group-by', 'project,model', '--output', 'table');
    expect(table.stdout.split('\n')[0]).toMatch(/^PROJECT_ID\s+MODEL\s+NUM_MODEL_REQUESTS\s+INPUT_TOKENS\s+OUTPUT_TOKENS/);
  });

  it('costs in one unit (USD) for both vendors, grouped by line item and by workspace', async () => {
    const openai = await everyFormat('openai', 'costs', '--since', '7d', '--group-by', 'line-item');
    expect(openai.every((row) => typeof row['amount_usd'] === 'number')).toBe(true);
    expect(openai.find((row) => row['line_item'] === 'gpt-4o, output')?.['amount_usd']).toBeGreaterThan(0);
    const anthropic = await everyFormat('anthropic', 'costs', '--since', '7d', '--group-by', 'workspace');
    expect(new Set(anthropic.map((row) => row['workspace_id']))).toEqual(new Set(Object.values(seeded.anthropic.workspaces)));
    // 300 / 1,500 cents per million tokens at the emulator: a dollar figure, not cents.
    const usage = JSON.parse((await rekey('anthropic', 'usage', '--since', '7d', '--bucket', '1d', '--group-by', 'workspace', '--output', 'json')).stdout) as Parsed;
    const expected = usage.reduce((total, row) => total + (Number(row['uncached_input_tokens']) * 3 + Number(row['output_tokens']) * 15) / 1_000_000, 0);
    expect(anthropic.reduce((total, row) => total + Number(row['amount_usd']), 0)).toBeCloseTo(expected, 3);
  });

  it('anthropic usage and claude-code, audit logs', async () => {
    expect((await everyFormat('anthropic', 'usage', '--since', '3d', '--bucket', '1h', '--group-by', 'key,model')).length).toBe(2);
    const people = await everyFormat('anthropic', 'claude-code', '--since', '5d', '--group-by', 'actor');
    expect(people.map((row) => row['actor']).sort()).toEqual(['alice@example.com', 'grace@example.com']);
    const logs = await everyFormat('openai', 'audit-logs', '--type', 'project.created', '--since', '1d');
    expect(logs.map((row) => row['resource_id'])).toEqual(expect.arrayContaining(Object.values(seeded.openai.projects)));
  });

  it('rekey usage --since 7d --group-by credential: one table across both providers with the credential name', async () => {
    const rows = await everyFormat('usage', '--since', '7d', '--group-by', 'provider,credential');
    expect(rows.map((row) => `${String(row['provider'])}:${String(row['credential'])}`).sort()).toEqual(['anthropic:(unmanaged)', 'openai:(unmanaged)', 'openai:openai/ticketing/prod']);
    const perKey = JSON.parse((await rekey('openai', 'usage', 'completions', '--since', '7d', '--group-by', 'key', '--filter', `api_key_id=${seeded.openai.keys['ticketing-prod']?.id}`, '--output', 'json')).stdout) as Parsed;
    expect(rows.find((row) => row['credential'] === 'openai/ticketing/prod')?.['requests']).toBe(perKey[0]?.['num_model_requests']);
  });
});

describe('changes: --dry-run sends nothing, --yes sends, confirmation off a terminal', () => {
  it('invites, projects, project users, users', async () => {
    const before = (await everyFormat('openai', 'invites', 'list')).length;
    const dry = await rekey('openai', 'invites', 'create', '--email', 'zed@example.com', '--role', 'reader', '--dry-run');
    expect(dry.stdout).toMatch(/dry run: would send openai POST \/organization\/invites/);
    expect((await everyFormat('openai', 'invites', 'list')).length).toBe(before);
    const refused = await rekey('openai', 'invites', 'create', '--email', 'zed@example.com', '--role', 'reader');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs confirmation/);
    const created = JSON.parse((await rekey('openai', 'invites', 'create', '--email', 'zed@example.com', '--role', 'reader', '--yes', '--output', 'json')).stdout) as Parsed;
    expect(created[0]?.['status']).toBe('pending');
    expect((await rekey('openai', 'invites', 'delete', String(created[0]?.['id']), '--yes')).code).toBe(0);

    const project = JSON.parse((await rekey('openai', 'projects', 'create', '--name', 'scratch', '--yes', '--output', 'json')).stdout) as Parsed;
    const projectId = String(project[0]?.['id']);
    expect((await rekey('openai', 'projects', 'update', projectId, '--name', 'scratch-2', '--yes')).code).toBe(0);
    const bob = seeded.openai.users['bob']?.id ?? '';
    expect((await rekey('openai', 'project-users', 'create', '--project', projectId, '--user-id', bob, '--role', 'member', '--yes')).code).toBe(0);
    expect((await everyFormat('openai', 'project-users', 'list', '--project', projectId)).map((row) => row['email'])).toEqual(['bob@example.com']);
    expect((await rekey('openai', 'project-users', 'update', bob, '--project', projectId, '--role', 'owner', '--yes')).code).toBe(0);
    expect((await rekey('openai', 'project-users', 'delete', bob, '--project', projectId, '--yes')).code).toBe(0);
    expect((await rekey('openai', 'projects', 'archive', projectId, '--yes')).code).toBe(0);
    expect(JSON.parse((await rekey('openai', 'projects', 'get', projectId, '--output', 'json')).stdout)[0].status).toBe('archived');
    expect((await rekey('openai', 'users', 'update', bob, '--role', 'owner', '--yes')).code).toBe(0);
    expect((await rekey('openai', 'users', 'update', bob, '--role', 'emperor', '--yes')).stderr).toMatch(/--role must be one of owner, reader/);
  });

  it('service accounts and admin keys write the new value only to --value-file (0600)', async () => {
    const projectId = seeded.openai.projects['analytics'] ?? '';
    const directory = mkdtempSync(join(tmpdir(), 'rekey-values-'));
    expect((await rekey('openai', 'service-accounts', 'create', '--project', projectId, '--name', 'etl', '--yes')).stderr).toMatch(/--value-file is required/);
    const file = join(directory, 'sa.key');
    const created = await rekey('openai', 'service-accounts', 'create', '--project', projectId, '--name', 'etl', '--yes', '--value-file', file, '--output', 'json');
    expect(created.code, created.stderr).toBe(0);
    const value = readFileSync(file, 'utf8').trim();
    expect(value).toMatch(/^sk-svcacct-/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(created.stdout + created.stderr).not.toContain(value);
    expect(emulator.isKeyLive(value)).toBe(true);
    const accountId = String((JSON.parse(created.stdout) as Parsed)[0]?.['id']);
    expect((await rekey('openai', 'service-accounts', 'delete', accountId, '--project', projectId, '--yes')).code).toBe(0);

    const adminFile = join(directory, 'admin.key');
    const admin = await rekey('openai', 'admin-keys', 'create', '--name', 'ci', '--expires-in-seconds', '3600', '--yes', '--value-file', adminFile, '--output', 'json');
    expect(admin.stdout).not.toContain(readFileSync(adminFile, 'utf8').trim());
    expect((await rekey('openai', 'admin-keys', 'delete', String((JSON.parse(admin.stdout) as Parsed)[0]?.['id']), '--yes')).code).toBe(0);
  });

  it('spend alerts and limits, model permissions, rate limits, certificates', async () => {
    const projectId = seeded.openai.projects['search'] ?? '';
    expect((await rekey('openai', 'spend-alerts', 'create', '--threshold-amount', '900', '--recipient', 'ops@example.com', '--yes')).code).toBe(0);
    expect((await everyFormat('openai', 'spend-alerts', 'list')).map((row) => row['threshold_amount'])).toEqual([5000, 900]);
    expect((await rekey('openai', 'spend-limits', 'set', '--project', projectId, '--threshold-amount', '2000', '--yes')).code).toBe(0);
    expect(JSON.parse((await rekey('openai', 'spend-limits', 'get', '--project', projectId, '--output', 'json')).stdout)[0].threshold_amount).toBe(2000);
    expect((await rekey('openai', 'model-permissions', 'set', '--project', projectId, '--mode', 'allow_list', '--model', 'gpt-4o-mini', '--yes')).code).toBe(0);
    expect((await rekey('openai', 'model-permissions', 'delete', '--project', projectId, '--yes')).code).toBe(0);
    const limits = await everyFormat('openai', 'rate-limits', 'list', '--project', projectId);
    const limitId = String(limits[0]?.['id']);
    expect((await rekey('openai', 'rate-limits', 'update', limitId, '--project', projectId, '--max-requests-per-1-minute', '60', '--yes')).code).toBe(0);
    expect((await everyFormat('openai', 'rate-limits', 'list', '--project', projectId, '--filter', `id=${limitId}`))[0]?.['max_requests_per_1_minute']).toBe(60);
    expect((await rekey('openai', 'model-permissions', 'get')).stderr).toMatch(/--project is required/);

    const directory = mkdtempSync(join(tmpdir(), 'rekey-cert-'));
    const pem = join(directory, 'client.pem');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(pem, `-----BEGIN CERTIFICATE-----\n${Buffer.from('emulated').toString('base64')}\n-----END CERTIFICATE-----\n`);
    const certificate = JSON.parse((await rekey('openai', 'certificates', 'create', '--certificate-file', pem, '--name', 'mtls', '--yes', '--output', 'json')).stdout) as Parsed;
    const certificateId = String(certificate[0]?.['id']);
    expect((await rekey('openai', 'certificates', 'activate', certificateId, '--yes')).code).toBe(0);
    expect((await everyFormat('openai', 'certificates', 'list'))[0]?.['active']).toBe(true);
    expect((await rekey('openai', 'certificates', 'deactivate', certificateId, '--yes')).code).toBe(0);
    expect((await rekey('openai', 'certificates', 'delete', certificateId, '--yes')).code).toBe(0);
  });

  it('anthropic: invites, workspaces, members, key rename and deactivation', async () => {
    const invite = JSON.parse((await rekey('anthropic', 'invites', 'create', '--email', 'ivy@example.com', '--role', 'developer', '--yes', '--output', 'json')).stdout) as Parsed;
    expect((await rekey('anthropic', 'invites', 'delete', String(invite[0]?.['id']), '--yes')).code).toBe(0);
    const workspace = JSON.parse((await rekey('anthropic', 'workspaces', 'create', '--name', 'lab', '--yes', '--output', 'json')).stdout) as Parsed;
    const workspaceId = String(workspace[0]?.['id']);
    const grace = seeded.anthropic.users['grace']?.id ?? '';
    expect((await rekey('anthropic', 'workspace-members', 'create', '--workspace', workspaceId, '--user-id', grace, '--workspace-role', 'workspace_developer', '--yes')).code).toBe(0);
    expect((await everyFormat('anthropic', 'workspace-members', 'list', '--workspace', workspaceId)).map((row) => row['user_id'])).toEqual([grace]);
    expect((await rekey('anthropic', 'workspaces', 'archive', workspaceId, '--yes')).code).toBe(0);
    const key = seeded.anthropic.keys['research-notebook']?.id ?? '';
    const dry = await rekey('anthropic', 'keys', 'update', key, '--status', 'inactive', '--dry-run');
    expect(dry.stdout).toMatch(/would send anthropic POST \/organizations\/api_keys\//);
    expect(JSON.parse((await rekey('anthropic', 'keys', 'get', key, '--output', 'json')).stdout)[0].status).toBe('active');
    expect((await rekey('anthropic', 'keys', 'update', key, '--name', 'research-notebook-old', '--status', 'inactive', '--yes')).code).toBe(0);
    expect(JSON.parse((await rekey('anthropic', 'keys', 'get', key, '--output', 'json')).stdout)[0]).toMatchObject({ status: 'inactive', name: 'research-notebook-old' });
  });
});

describe('bad input', () => {
  it('an unknown --filter column, a --since that does not parse, an unknown --group-by, a bad bucket', async () => {
    const filter = await rekey('openai', 'usage', 'completions', '--filter', 'colour=red');
    expect(filter.code).toBe(2);
    expect(filter.stderr).toMatch(/--filter: no column "colour"/);
    expect(filter.stderr).toMatch(/hint: columns: .*num_model_requests/);
    const since = await rekey('usage', '--since', 'last tuesday');
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since: "last tuesday" is not a time/);
    expect((await rekey('openai', 'costs', '--group-by', 'model')).stderr).toMatch(/cannot group by "model" here/);
    expect((await rekey('openai', 'costs', '--bucket', '1h')).stderr).toMatch(/--bucket: "1h" is not a bucket width here/);
    expect((await rekey('openai', 'keys', 'list', '--output', 'xml')).stderr).toMatch(/--output: "xml" is not an output format/);
  });

  it('a project key used as the admin key: the missing permission is named', async () => {
    const projectKey = seeded.openai.keys['search-prod']?.value.reveal() ?? '';
    setEnv({ OPENAI_ADMIN_KEY: projectKey });
    try {
      const result = await rekey('openai', 'projects', 'list');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/openai: list projects: the admin key lacks the permission api\.management\.read \(HTTP 401\)/);
      expect(result.stderr).toMatch(/hint: use an admin key/);
      expect(result.stderr).not.toContain(projectKey);
      expect((await rekey('openai', 'invites', 'create', '--email', 'a@example.com', '--role', 'reader', '--yes')).stderr).toMatch(/api\.management\.write/);
    } finally {
      setEnv({ OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal() });
    }
  });
});
