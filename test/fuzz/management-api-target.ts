/**
 * Fuzz target for the request bodies of `rekey serve`'s management API (team mode): login,
 * credentials (add, edit, reveal), consumers, tokens, role bindings and rotation plans, each
 * sent as its valid body with a field wrong, missing or added, as other JSON, or as text. An
 * answer is never a 5xx, a refusal is JSON that says what is wrong, and a refusal leaves the
 * credentials, consumers, tokens and role bindings as they were.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { createApiWorld, credentialPath, PASSWORD } from '../helpers/api-world.js';
import { fuzz } from './fuzz-harness.js';

const BASE = 'openai/base/prod';

const TEMPLATES: Array<{ method: string; path: string; body: Record<string, unknown> }> = [
  { method: 'POST', path: '/v1/auth/login', body: { user: 'root', password: PASSWORD } },
  { method: 'POST', path: '/v1/credentials', body: { name: 'openai/fuzzed/prod', provider: 'openai', scope: { project: 'proj_1' }, allowedModels: ['gpt-4o-mini'], policy: { onLeak: 'alert' } } },
  { method: 'PATCH', path: credentialPath(BASE), body: { owner: 'team-a', allowedModels: ['gpt-4o'], policy: { maxAgeDays: 30 } } },
  { method: 'POST', path: credentialPath(BASE, '/reveal'), body: { version: 1 } },
  { method: 'POST', path: credentialPath(BASE, '/consumers'), body: { name: 'app', kind: 'env-file', config: { path: '/srv/app/.env', name: 'OPENAI_API_KEY' } } },
  { method: 'POST', path: '/v1/tokens', body: { name: 'fuzz-app', kind: 'read', credentials: [BASE] } },
  { method: 'POST', path: '/v1/role-bindings', body: { role: 'viewer', subjectKind: 'user', subject: 'root', scope: { credentials: '*/prod' } } },
  { method: 'POST', path: '/v1/rotations/plan', body: { credential: BASE } },
];

const leaf = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }));

const body = fc.constantFrom(...TEMPLATES).chain((template) =>
  fc.tuple(
    fc.constant(template),
    fc.oneof(
      fc.record({ field: fc.constantFrom(...Object.keys(template.body)), value: leaf }).map(({ field, value }) => JSON.stringify({ ...template.body, [field]: value })),
      fc.constantFrom(...Object.keys(template.body)).map((field) => JSON.stringify(Object.fromEntries(Object.entries(template.body).filter(([key]) => key !== field)))),
      fc.record({ field: fc.string({ minLength: 1, maxLength: 10 }), value: leaf }).map(({ field, value }) => JSON.stringify({ ...template.body, [field]: value })),
      fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('', '{', '{"__proto__":{"admin":true}}', JSON.stringify(template.body).repeat(2)),
    ),
    fc.constantFrom('application/json', 'application/json', 'text/plain'),
  ),
);

export async function fuzzManagementApi(): Promise<void> {
  const world = await createApiWorld();
  try {
    await world.addCredential(BASE);
    await world.addPerson('root', [{ role: 'admin', scope: {} }]);
    const token = await world.login('root');
    const snapshot = async () => {
      const parts = await Promise.all(['/v1/credentials', credentialPath(BASE, '/consumers'), '/v1/tokens', '/v1/role-bindings'].map(async (path) => (await world.call('GET', path, token)).text()));
      return parts.join('\n');
    };
    await fuzz(
      'rekey serve management API bodies',
      body,
      async ([template, text, contentType]) => {
        const before = await snapshot();
        const response = await world.app.request(template.path, { method: template.method, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: text });
        expect(response.status, `${template.method} ${template.path} answered ${response.status} to ${text.slice(0, 80)}`).toBeLessThan(500);
        const answer = await response.text();
        if (response.status < 400) return 'accepted';
        const message = (JSON.parse(answer) as { error?: { message?: string } }).error?.message ?? '';
        expect(message.length, 'the error says what is wrong').toBeGreaterThan(8);
        expect(message).not.toContain(PASSWORD);
        expect(await snapshot(), `a refused ${template.method} ${template.path} changed something`).toBe(before);
        return 'refused';
      },
      { runs: 100, caseMilliseconds: 3_000 },
    );
  } finally {
    await world.close();
  }
}
