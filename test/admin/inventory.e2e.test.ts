/**
 * `rekey inventory` end to end against the emulator's seeded organisation: the planted
 * shadow key, the key of a removed user, the key unused for 120 days, the over-scoped
 * service account and the names outside the policy are each classified; a registered key
 * is managed with its stage; `--adopt` brings the shadow key under management and finds
 * its copy on disk; `--revoke` asks first, refuses managed keys and kills unmanaged ones.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type SeededOrganization } from '../../src/emulator/emulator.js';
import { runRekey, temporaryHome } from '../helpers/cli-runner.js';
import { everyFormat, rekeyInProcess as rekey, restoreEnv, setEnv, type Parsed } from '../helpers/in-process-cli.js';

let emulator: RunningEmulator;
let seeded: SeededOrganization;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 4114 });
  seeded = emulator.seedOrganization({ days: 10 });
  home = temporaryHome('rekey-inventory-');
  env = {
    OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
    OPENAI_BASE_URL: emulator.openaiBaseUrl,
    ANTHROPIC_ADMIN_KEY: emulator.adminKeys.anthropic.reveal(),
    ANTHROPIC_BASE_URL: emulator.anthropicBaseUrl,
    REKEY_HOME: home,
  };
  setEnv({ ...env, REKEY_DATABASE_URL: undefined, NO_COLOR: '1' });
  expect((await runRekey(['init'], { env })).code).toBe(0);
  const ticketing = seeded.openai.keys['ticketing-prod'];
  const add = await runRekey(['credential', 'add', 'openai/ticketing/prod', '--provider', 'openai', '--scope', `project=${ticketing?.projectId}`, '--provider-key-id', ticketing?.id ?? '', '--read-value', '--force'], { env, input: `${ticketing?.value.reveal()}\n` });
  expect(add.code, add.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await emulator.close();
});

const byName = (rows: Parsed) => new Map(rows.map((row) => [String(row['name']), row]));

describe('rekey inventory', () => {
  it('classifies every key of both providers', async () => {
    const rows = byName(await everyFormat('inventory'));
    expect(rows.get('ticketing-prod')).toMatchObject({ provider: 'openai', management: 'managed', stage: 'current', credential: 'openai/ticketing/prod', findings: '' });
    expect(rows.get('tmp-debug')).toMatchObject({ management: 'unmanaged', stage: null, credential: null, owner: 'carol@example.com', findings: 'naming' });
    expect(rows.get('dave-notebook')).toMatchObject({ management: 'unmanaged', owner: 'dave@example.com', findings: 'owner-gone;naming' });
    expect(rows.get('legacy-export')).toMatchObject({ management: 'unmanaged', findings: 'stale;naming' });
    expect(rows.get('analytics-batch')).toMatchObject({ findings: 'over-scoped;naming' });
    expect(rows.get('search-prod')).toMatchObject({ management: 'unmanaged', findings: '' });
    expect(rows.get('support-prod')).toMatchObject({ provider: 'anthropic', management: 'unmanaged', owner: 'alice@example.com', findings: '' });
    expect(rows.get('research-notebook')?.['findings']).toBe('naming');
    expect(rows.size).toBe(9);
  });

  it('--stale-days, --naming and --filter change what is reported', async () => {
    expect(byName(await everyFormat('inventory', '--stale-days', '200')).get('legacy-export')?.['findings']).toBe('naming');
    const named = byName(await everyFormat('inventory', '--provider', 'openai', '--naming', '^[a-z]+-[a-z]+$'));
    expect([...named.values()].every((row) => !String(row['findings']).includes('naming'))).toBe(true);
    const shadows = await everyFormat('inventory', '--filter', 'management=unmanaged', '--filter', 'findings~owner-gone');
    expect(shadows.map((row) => row['name'])).toEqual(['dave-notebook']);
    expect((await rekey('inventory', '--stale-days', 'soon')).stderr).toMatch(/--stale-days must be a whole number/);
    expect((await rekey('inventory', '--filter', 'colour=red')).stderr).toMatch(/--filter: no column "colour"/);
  });

  it('--adopt checks the value against the provider hint, registers the key and finds its copies', async () => {
    const shadow = seeded.openai.keys['tmp-debug'];
    const other = seeded.openai.keys['alice-laptop'];
    const wrong = await runRekey(['inventory', '--adopt', shadow?.id ?? '', '--name', 'openai/ticketing/debug'], { env, input: `${other?.value.reveal()}\n` });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/does not match the provider's hint sk-proj-\.\.\./);
    expect(wrong.stderr + wrong.stdout).not.toContain(other?.value.reveal());

    const root = mkdtempSync(join(tmpdir(), 'rekey-adopt-'));
    writeFileSync(join(root, '.env'), `OPENAI_API_KEY=${shadow?.value.reveal()}\n`);
    const adopted = await runRekey(['inventory', '--adopt', shadow?.id ?? '', '--name', 'openai/ticketing/debug', '--environment', 'dev', '--root', root], { env, input: `${shadow?.value.reveal()}\n` });
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(adopted.stdout).toMatch(/adopted openai key key_\w+ \(tmp-debug\) as openai\/ticketing\/debug/);
    expect(adopted.stdout).toMatch(/rekey consumer add openai\/ticketing\/debug .*\.env/);
    expect(adopted.stdout + adopted.stderr).not.toContain(shadow?.value.reveal());
    expect(byName(await everyFormat('inventory', '--provider', 'openai')).get('tmp-debug')).toMatchObject({ management: 'managed', stage: 'current', credential: 'openai/ticketing/debug' });
    const again = await runRekey(['inventory', '--adopt', shadow?.id ?? '', '--name', 'openai/ticketing/debug2'], { env, input: `${shadow?.value.reveal()}\n` });
    expect(again.stderr).toMatch(/already managed \(credential openai\/ticketing\/debug\)/);
  });

  it('--revoke: dry run, confirmation, managed keys refused, unmanaged keys deleted and audited', async () => {
    const legacy = seeded.openai.keys['legacy-export'];
    expect((await rekey('inventory', '--revoke', legacy?.id ?? '', '--dry-run')).stdout).toMatch(/dry run: would delete OpenAI key key_\w+ \(legacy-export, owner bob@example.com\)/);
    expect(emulator.isKeyLive(legacy?.value.reveal() ?? '')).toBe(true);
    expect((await rekey('inventory', '--revoke', legacy?.id ?? '')).stderr).toMatch(/needs confirmation/);
    const managed = await rekey('inventory', '--revoke', seeded.openai.keys['ticketing-prod']?.id ?? '', '--yes');
    expect(managed.stderr).toMatch(/belongs to credential openai\/ticketing\/prod \(current\); revoke it through rekey/);
    const revoked = await rekey('inventory', '--revoke', legacy?.id ?? '', '--yes');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(emulator.isKeyLive(legacy?.value.reveal() ?? '')).toBe(false);
    expect(byName(await everyFormat('inventory', '--provider', 'openai')).has('legacy-export')).toBe(false);
    const account = await rekey('inventory', '--revoke', seeded.openai.keys['analytics-batch']?.id ?? '', '--yes');
    expect(account.stdout).toMatch(/revoked openai key/);
    expect(emulator.isKeyLive(seeded.openai.keys['analytics-batch']?.value.reveal() ?? '')).toBe(false);
    const research = seeded.anthropic.keys['research-notebook'];
    expect((await rekey('inventory', '--revoke', research?.id ?? '', '--yes')).code).toBe(0);
    expect(emulator.isKeyLive(research?.value.reveal() ?? '')).toBe(false);
    const audit = await rekey('audit', 'list', '--output', 'json');
    const events = (JSON.parse(audit.stdout) as Parsed).filter((event) => String(event['event']).startsWith('inventory-'));
    expect(events.map((event) => event['event'])).toEqual(['inventory-adopt', 'inventory-revoke', 'inventory-revoke', 'inventory-revoke']);
  });
});
