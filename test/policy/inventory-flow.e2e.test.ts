/**
 * The example repository (examples/inventory) end to end through the built binary, on
 * SQLite and PostgreSQL, against the emulator: check → plan (exit 2) → apply → plan (exit
 * 0) → a second apply changes nothing → provider-side drift is found and fixed → export →
 * apply on an empty store → export gives the same file. No key value appears in any output.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createPostgresTestDatabase, withPostgresDatabase, type PostgresTestDatabase } from '../store/postgres-fixture.js';
import { temporaryHome } from '../helpers/cli-runner.js';
import { exampleCopy, rekeyIn, type RunResult } from './policy-fixture.js';

const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

let running: RunningEmulator | undefined;
const emulatorNow = (): RunningEmulator => {
  if (running === undefined) throw new Error('the emulator is not running');
  return running;
};
let values: Record<string, string> = {};

/** A fresh emulator per flow: each database starts from the same provider state. */
async function freshEmulator(): Promise<void> {
  await running?.close();
  running = await startEmulator({ seed: 13 });
  const emulator = running;
  values = {};
  for (const environment of ENVIRONMENTS) {
    const upper = environment.toUpperCase();
    for (const app of ['ticketing', 'billing']) {
      const seeded = await emulator.seedOpenAIProject(`26-01-acme-${app}-${environment}`, { id: `proj_acme_${app}_${environment}` });
      values[`${app.toUpperCase()}_${upper}_OPENAI_KEY`] = seeded.key.reveal();
    }
    values[`SEARCH_${upper}_ANTHROPIC_KEY`] = emulator.createAnthropicKey(`search-${environment}`).key.reveal();
  }
}
afterAll(async () => running?.close());

function noValueIn(results: RunResult[], extra: string[] = []): void {
  const haystack = [...results.flatMap((result) => [result.stdout, result.stderr]), ...extra].join('\n');
  for (const value of Object.values(values)) expect(haystack.includes(value)).toBe(false);
}

async function setModelPermissions(projectId: string, models: string[]): Promise<void> {
  const emulator = emulatorNow();
  const response = await fetch(`${emulator.openaiBaseUrl}/organization/projects/${projectId}/model_permissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.adminKeys.openai.reveal()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'allow_list', model_ids: models }),
  });
  expect(response.status).toBe(200);
}

export function inventoryFlow(label: string, database: () => Promise<{ url?: string | undefined; another: () => Promise<string | undefined> }>): void {
  describe(`examples/inventory: check → plan → apply → export [${label}]`, () => {
    const outputs: RunResult[] = [];
    let directory: string;
    let env: Record<string, string | undefined>;
    let emptyDatabaseUrl: string | undefined;
    const rekey = async (args: string[], extraEnv: Record<string, string | undefined> = {}) => {
      const result = await rekeyIn(directory, args, { ...env, ...extraEnv });
      outputs.push(result);
      return result;
    };

    beforeAll(async () => {
      await freshEmulator();
      directory = exampleCopy();
      const chosen = await database();
      emptyDatabaseUrl = await chosen.another();
      const emulator = emulatorNow();
      env = { REKEY_HOME: temporaryHome(), REKEY_DATABASE_URL: chosen.url, OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(), OPENAI_BASE_URL: emulator.openaiBaseUrl, ...values };
      expect((await rekey(['init'])).code).toBe(0);
    });

    it('check passes, plan lists every change (exit 2), apply without approval changes nothing', async () => {
      expect((await rekey(['check'])).code).toBe(0);
      const plan = await rekey(['plan']);
      expect(plan.code, plan.stderr).toBe(2);
      expect(plan.stdout).toContain('+ credential openai/ticketing/prod (openai, prod, owner ticketing-team), value from env:TICKETING_PROD_OPENAI_KEY');
      expect(plan.stdout).toContain('+ consumer billing-json (json-file)');
      expect(plan.stdout).toContain('~ OpenAI project proj_acme_ticketing_prod model permissions: none → allow_list ["gpt-4o-mini"]');
      expect(plan.stdout).toContain('~ OpenAI project proj_acme_ticketing_prod spend limit: none → 50000 cents a month');
      expect(plan.stdout).toContain('~ OpenAI project proj_acme_ticketing_prod rate limit for gpt-4o-mini');
      const json = JSON.parse((await rekey(['plan', '--json'])).stdout) as { changes: Array<{ kind: string }> };
      const kinds = json.changes.map((change) => change.kind);
      expect(kinds.filter((kind) => kind === 'credential-create')).toHaveLength(9);
      expect(kinds.filter((kind) => kind === 'openai-model-permissions')).toHaveLength(6);
      expect(kinds.filter((kind) => kind === 'openai-spend-limit')).toHaveLength(3);
      expect(kinds).toContain('governance-update');
      const refused = await rekey(['apply']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('needs confirmation');
      expect((await rekey(['plan'])).code).toBe(2);
    });

    it('apply makes it so (audited); a second plan is clean and a second apply changes nothing', async () => {
      const apply = await rekey(['apply', '--auto-approve']);
      expect(apply.code, apply.stderr).toBe(0);
      expect(apply.stdout).toMatch(/applied \d+ changes/);
      const plan = await rekey(['plan']);
      expect(plan.stdout).toContain('No changes: the store and the provider match rekey.yaml');
      expect(plan.code).toBe(0);
      const again = await rekey(['apply', '--auto-approve']);
      expect(again.stdout).toBe('Nothing to apply.\n');
      const show = JSON.parse((await rekey(['credential', 'show', 'openai/billing/prod', '--json'])).stdout) as { owner: string; tags: Record<string, string>; policy: Record<string, unknown>; versions: unknown[]; consumers: Array<{ name: string; config: { path: string } }> };
      expect(show.owner).toBe('billing-team');
      expect(show.tags).toEqual({ customer: 'acme' });
      expect(show.policy).toEqual({ rotateEveryDays: 90, onLeak: 'rotate' });
      expect(show.versions).toHaveLength(1);
      expect(show.consumers.map((consumer) => consumer.config.path)).toEqual([join(directory, 'apps/billing/prod.env'), join(directory, 'apps/billing/prod.settings.json')]);
      const audit = (await rekey(['audit', 'export', '--format', 'json'])).stdout;
      for (const event of ['governance-apply', 'credential-add', 'version-add', 'consumer-add', 'provider-settings-update']) expect(audit).toContain(`"${event}"`);
      expect((await rekey(['audit', 'verify'])).code).toBe(0);
    });

    it('finds provider-side drift (a widened allow list, an undeclared project) and apply restores the file', async () => {
      const emulator = emulatorNow();
      await setModelPermissions('proj_acme_ticketing_prod', ['gpt-4o-mini', 'gpt-4o']);
      const shadow = await emulator.seedOpenAIProject(`shadow-${label}`);
      const plan = await rekey(['plan']);
      expect(plan.code).toBe(2);
      expect(plan.stdout).toContain('~ OpenAI project proj_acme_ticketing_prod model permissions: allow_list ["gpt-4o-mini","gpt-4o"] → allow_list ["gpt-4o-mini"]');
      expect(plan.stdout).toContain(`! OpenAI project ${shadow.projectId} (shadow-${label}) is not declared in the file`);
      const live = await rekey(['check', '--live']);
      expect(live.stdout).toContain('at the provider, OpenAI project 26-01-acme-ticketing-prod permits gpt-4o');
      expect(live.code).toBe(1);
      expect((await rekey(['apply', '--auto-approve'])).code).toBe(0);
      const after = await rekey(['plan', '--json']);
      const parsed = JSON.parse(after.stdout) as { changes: unknown[]; drift: Array<{ kind: string }> };
      expect(parsed.changes).toEqual([]);
      expect(parsed.drift.map((item) => item.kind)).toContain('unmanaged-project');
      expect((await rekey(['check', '--live'])).code).toBe(0);
      const response = await fetch(`${emulator.openaiBaseUrl}/organization/projects/${shadow.projectId}/archive`, { method: 'POST', headers: { authorization: `Bearer ${emulator.adminKeys.openai.reveal()}` } });
      expect(response.status).toBe(200);
      expect((await rekey(['plan'])).code).toBe(0);
    });

    it('an emergency rotation, then compliance reports for all four standards (hash and chain head stated; PDF through Chromium)', async () => {
      mkdirSync(join(directory, 'apps', 'ticketing'), { recursive: true });
      const rotate = await rekey(['rotate', 'openai/ticketing/prod', '--emergency', '--json']);
      expect(rotate.code, rotate.stderr).toBe(0);
      const out = join(directory, 'pci.json');
      const report = await rekey(['report', 'compliance', '--standard', 'pci-dss-4', '--format', 'json', '--out-file', out]);
      expect(report.code, report.stderr).toBe(0);
      const parsed = JSON.parse(readFileSync(out, 'utf8')) as { chain: { head: { seq: number; hash: string }; verified: boolean }; integrity: { hash: string }; credentials: Array<{ name: string; rotations: Array<{ kind: string; oldKeyDeadAt: string | null; consumersConfirmed: string[]; actor: string }>; results: Array<{ control: string; status: string }> }> };
      expect(parsed.credentials).toHaveLength(9);
      expect(parsed.chain.verified).toBe(true);
      const events = JSON.parse((await rekey(['audit', 'export', '--format', 'json'])).stdout) as Array<{ seq: number; hash: string }>;
      expect(parsed.chain.head).toEqual({ seq: events.at(-1)?.seq, hash: events.at(-1)?.hash });
      const ticketing = parsed.credentials.find((credential) => credential.name === 'openai/ticketing/prod');
      expect(ticketing?.rotations).toHaveLength(1);
      expect(ticketing?.rotations[0]).toMatchObject({ kind: 'emergency', consumersConfirmed: ['ticketing-env'] });
      expect(ticketing?.rotations[0]?.oldKeyDeadAt).not.toBeNull();
      expect(ticketing?.results.map((result) => `${result.control} ${result.status}`)).toEqual(['8.6.2 COMPLIANT', '8.6.3 COMPLIANT']);
      expect((await rekey(['report', 'verify', out])).stdout).toContain('ok');
      writeFileSync(out, readFileSync(out, 'utf8').replace('"COMPLIANT"', '"NON_COMPLIANT"'));
      const tampered = await rekey(['report', 'verify', out]);
      expect(tampered.code).toBe(1);
      for (const [standard, control] of [['nist-800-53', 'IA-5(f)'], ['soc2', 'CC6.1'], ['hipaa', '164.312(b)']] as const) {
        const markdown = await rekey(['report', 'compliance', '--standard', standard, '--format', 'md']);
        expect(markdown.stdout).toContain(`| openai/ticketing/prod | prod | ticketing-team | ${control} |`);
        expect(markdown.stdout).toMatch(/Report SHA-256: `[0-9a-f]{64}`/);
      }
      const csv = await rekey(['report', 'compliance', '--standard', 'soc2', '--format', 'csv']);
      expect(csv.stdout.split('\r\n')[3]).toBe('credential,environment,owner,control,status,period_days,longest_interval_days,current_age_days,rotations,evidence');
      const html = await rekey(['report', 'compliance', '--standard', 'hipaa', '--format', 'html', ...(existsSync('/usr/bin/chromium') && label === 'sqlite' ? ['--pdf', join(directory, 'hipaa.pdf')] : [])]);
      expect(html.code, html.stderr).toBe(0);
      expect(html.stdout).toContain('@media print');
      if (existsSync('/usr/bin/chromium') && label === 'sqlite') expect(readFileSync(join(directory, 'hipaa.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
      const review = await rekey(['report', 'review']);
      expect(review.stdout).toContain('group:platform: rotator [credential:read, credential:rotate]');
      expect(review.stdout).toContain('openai/billing/prod → billing-json');
      expect(review.stdout).not.toContain('openai/ticketing/prod → ticketing-env');
    }, 90_000);

    it('export → apply on an empty store → export gives the same file', async () => {
      const first = await rekey(['export']);
      expect(first.code, first.stderr).toBe(0);
      writeFileSync(join(directory, 'exported.yaml'), first.stdout);
      expect(first.stdout).toContain('valueFrom: env:TICKETING_PROD_OPENAI_KEY');
      const empty = { REKEY_HOME: temporaryHome(), REKEY_DATABASE_URL: emptyDatabaseUrl };
      expect((await rekey(['init'], empty)).code).toBe(0);
      const check = await rekey(['check', 'exported.yaml'], empty);
      expect(check.stdout).toContain('1 excepted');
      const apply = await rekey(['apply', 'exported.yaml', '--auto-approve', '--store-only'], empty);
      expect(apply.code, apply.stderr).toBe(0);
      const second = await rekey(['export'], empty);
      expect(second.stdout).toBe(first.stdout);
      expect((await rekey(['plan', 'exported.yaml', '--store-only'], empty)).code).toBe(0);
      noValueIn(outputs, [readFileSync(join(directory, 'exported.yaml'), 'utf8')]);
    });
  });
}

inventoryFlow('sqlite', async () => ({ url: undefined, another: async () => undefined }));

withPostgresDatabase('examples/inventory [postgres]', (database) => {
  const extra: PostgresTestDatabase[] = [];
  afterAll(async () => {
    for (const item of extra) await item.drop();
  });
  inventoryFlow('postgres', async () => ({
    url: database().url(),
    another: async () => {
      const created = await createPostgresTestDatabase();
      extra.push(created);
      return created.url();
    },
  }));
});
