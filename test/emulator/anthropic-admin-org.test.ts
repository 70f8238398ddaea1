/**
 * The Anthropic Admin API resources of the seeded organisation, checked against the
 * documented shapes (zod schemas written from the public docs; Anthropic publishes no
 * OpenAPI file we can validate against): users, invites, workspaces and members, API keys,
 * the cost report (cent strings) and the Claude Code report, with `after_id` and `page` paging.
 */
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type SeededOrganization } from '../../src/emulator/emulator.js';

let emulator: RunningEmulator;
let seeded: SeededOrganization;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 14 });
  seeded = emulator.seedOrganization({ days: 10 });
});
afterAll(async () => {
  await emulator.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${emulator.anthropicBaseUrl}/v1/organizations${path}`, {
    method,
    headers: { 'x-api-key': emulator.adminKeys.anthropic.reveal(), 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const rfc3339 = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
const listOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), has_more: z.boolean(), first_id: z.string().nullable(), last_id: z.string().nullable() }).strict();
const user = z.object({ type: z.literal('user'), id: z.string().startsWith('user_'), email: z.string(), name: z.string(), role: z.enum(['user', 'developer', 'billing', 'admin', 'claude_code_user']), added_at: rfc3339 }).strict();
const invite = z.object({ type: z.literal('invite'), id: z.string(), email: z.string(), role: z.string(), status: z.enum(['accepted', 'expired', 'deleted', 'pending']), invited_at: rfc3339, expires_at: rfc3339 }).strict();
const workspace = z.object({ type: z.literal('workspace'), id: z.string().startsWith('wrkspc_'), name: z.string(), created_at: rfc3339, archived_at: rfc3339.nullable(), display_color: z.string() }).strict();
const member = z.object({ type: z.literal('workspace_member'), user_id: z.string(), workspace_id: z.string(), workspace_role: z.string() }).strict();
const costResult = z.object({
  currency: z.literal('USD'), amount: z.string().regex(/^\d+(\.\d+)?$/), workspace_id: z.string().nullable(), description: z.string().nullable(), cost_type: z.string().nullable(),
  context_window: z.string().nullable(), model: z.string().nullable(), service_tier: z.string().nullable(), token_type: z.string().nullable(),
}).strict();
const report = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), has_more: z.boolean(), next_page: z.string().nullable() }).strict();
const claudeCode = z.object({
  date: rfc3339, actor: z.union([z.object({ type: z.literal('user_actor'), email_address: z.string() }), z.object({ type: z.literal('api_actor'), api_key_name: z.string() })]),
  organization_id: z.string(), customer_type: z.enum(['api', 'subscription']), terminal_type: z.string(),
  core_metrics: z.object({ num_sessions: z.number().int(), lines_of_code: z.object({ added: z.number(), removed: z.number() }), commits_by_claude_code: z.number(), pull_requests_by_claude_code: z.number() }),
  tool_actions: z.record(z.string(), z.object({ accepted: z.number(), rejected: z.number() })),
  model_breakdown: z.array(z.object({ model: z.string(), tokens: z.object({ input: z.number(), output: z.number(), cache_read: z.number(), cache_creation: z.number() }), estimated_cost: z.object({ currency: z.string(), amount: z.number() }) })),
}).strict();

describe('Anthropic Admin API organisation resources (documented shapes)', () => {
  it('users: list pages with after_id, get, change role, remove', async () => {
    const first = listOf(user).parse((await admin('GET', '/users?limit=2')).body);
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    const rest = listOf(user).parse((await admin('GET', `/users?limit=2&after_id=${first.last_id}`)).body);
    expect(rest.data.map((entry) => entry.email)).toEqual(['grace@example.com']);
    const bob = seeded.anthropic.users['bob']?.id ?? '';
    expect(user.parse((await admin('POST', `/users/${bob}`, { role: 'billing' })).body).role).toBe('billing');
    expect((await admin('POST', `/users/${bob}`, { role: 'king' })).status).toBe(400);
    expect((await admin('DELETE', `/users/${bob}`)).body).toEqual({ id: bob, type: 'user_deleted' });
    expect((await admin('GET', `/users/${bob}`)).status).toBe(404);
  });

  it('invites, workspaces and workspace members', async () => {
    const created = invite.parse((await admin('POST', '/invites', { email: 'ivan@example.com', role: 'developer' })).body);
    expect(listOf(invite).parse((await admin('GET', '/invites')).body).data.map((entry) => entry.email)).toContain('ivan@example.com');
    expect((await admin('DELETE', `/invites/${created.id}`)).body).toEqual({ id: created.id, type: 'invite_deleted' });
    const spaces = listOf(workspace).parse((await admin('GET', '/workspaces')).body);
    expect(spaces.data.map((entry) => entry.name)).toEqual(['support', 'research']);
    const made = workspace.parse((await admin('POST', '/workspaces', { name: 'scratch' })).body);
    workspace.parse((await admin('POST', `/workspaces/${made.id}`, { name: 'scratch-2' })).body);
    expect(workspace.parse((await admin('POST', `/workspaces/${made.id}/archive`)).body).archived_at).not.toBeNull();
    const support = seeded.anthropic.workspaces['support'] ?? '';
    // Bob (a member) was removed from the organisation above, which removes his memberships.
    expect(listOf(member).parse((await admin('GET', `/workspaces/${support}/members`)).body).data.map((entry) => entry.user_id)).toEqual([seeded.anthropic.users['alice']?.id]);
    const grace = seeded.anthropic.users['grace']?.id ?? '';
    member.parse((await admin('POST', `/workspaces/${support}/members`, { user_id: grace, workspace_role: 'workspace_user' })).body);
    expect(member.parse((await admin('POST', `/workspaces/${support}/members/${grace}`, { workspace_role: 'workspace_admin' })).body).workspace_role).toBe('workspace_admin');
    expect((await admin('DELETE', `/workspaces/${support}/members/${grace}`)).body).toEqual({ type: 'workspace_member_deleted', user_id: grace, workspace_id: support });
  });

  it('cost report: one bucket a day, cent strings, grouped by workspace and description, paged', async () => {
    const start = new Date(Date.now() - 9 * 86_400_000).toISOString();
    const page = report(z.object({ starting_at: rfc3339, ending_at: rfc3339, results: z.array(costResult) })).parse((await admin('GET', `/cost_report?starting_at=${start}&group_by[]=workspace_id&group_by[]=description&limit=5`)).body);
    expect(page.data).toHaveLength(5);
    expect(page.has_more).toBe(true);
    const results = page.data.flatMap((bucket) => bucket.results);
    expect(new Set(results.map((result) => result.workspace_id))).toEqual(new Set(Object.values(seeded.anthropic.workspaces)));
    expect(results.some((result) => result.description?.includes('Output Tokens'))).toBe(true);
    const next = report(z.object({ starting_at: rfc3339, ending_at: rfc3339, results: z.array(costResult) })).parse((await admin('GET', `/cost_report?starting_at=${start}&page=${page.next_page}&limit=5`)).body);
    expect(next.data.length).toBe(5);
    expect((await admin('GET', `/cost_report?starting_at=${start}&bucket_width=1h`)).status).toBe(400);
  });

  it('Claude Code report: one day, one record per actor', async () => {
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const page = report(claudeCode).parse((await admin('GET', `/usage_report/claude_code?starting_at=${day}&limit=1`)).body);
    expect(page.data).toHaveLength(1);
    expect(page.has_more).toBe(true);
    expect(page.data[0]?.date).toBe(`${day}T00:00:00Z`);
    expect((await admin('GET', '/usage_report/claude_code?starting_at=last-week')).status).toBe(400);
  });
});
