/**
 * `rekey alerts list|show|test|ack|resolve|retry` through the built binary, against a real
 * store and a Standard Webhooks receiver on loopback; bad input gets a clear error.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/alerts/channels/standard-webhooks.js';
import { REKEY_BIN, runRekey, temporaryHome } from '../helpers/cli-runner.js';
import { startStandardWebhookReceiver, type StandardWebhookReceiver } from '../fakes/standard-webhook-receiver.js';

const PLANTED = 'sk-proj-ALERTCLIxPLANTEDx0123456789abcdefABCDEF';
const SKIP = existsSync(REKEY_BIN) ? '' : ' [skipped: dist/ is not built]';

describe.skipIf(SKIP !== '')(`rekey alerts${SKIP}`, () => {
  let receiver: StandardWebhookReceiver;
  let env: Record<string, string>;
  let config: string;
  const rekey = (...args: string[]) => runRekey(args, { env });

  beforeAll(async () => {
    receiver = await startStandardWebhookReceiver(generateWebhookSecret());
    const home = temporaryHome('rekey-alerts-cli-');
    await mkdir(home, { recursive: true });
    config = join(home, '..', 'rekey.yaml');
    env = { REKEY_HOME: home, ALERT_URL: receiver.url, ALERT_SECRET: receiver.secret, REKEY_CONFIG: config };
    await writeFile(
      config,
      ['version: 1', 'notifications:', '  routes:', '    ops:', '      kind: webhook', '      urlFrom: env:ALERT_URL', '      secretFrom: env:ALERT_SECRET', '    broken:', '      kind: slack', '      urlFrom: env:NOT_SET_ANYWHERE', '  subscriptions:', '    - { events: ["*"], routes: [ops] }', ''].join('\n'),
    );
    expect((await rekey('init')).code).toBe(0);
    expect((await runRekey(['credential', 'add', 'openai/billing/prod', '--provider', 'openai', '--scope', 'project=proj_billing', '--max-age-days', '5', '--read-value'], { env, input: `${PLANTED}\n` })).code).toBe(0);
  });

  afterAll(async () => {
    await receiver.close();
  });

  it('test sends along every route and says which one failed', async () => {
    const result = await rekey('alerts', 'test', '--json');
    expect(result.code).toBe(1);
    const rows = JSON.parse(result.stdout) as Array<{ route: string; ok: boolean; detail: string }>;
    expect(rows.find((row) => row.route === 'ops')).toMatchObject({ ok: true, detail: 'HTTP 200' });
    expect(rows.find((row) => row.route === 'broken')?.detail).toContain('NOT_SET_ANYWHERE is not set');
    expect(receiver.accepted.at(-1)?.payload['kind']).toBe('alert-test');
    expect((await rekey('alerts', 'test', '--route', 'nope')).stderr).toContain('no route named nope');
  });

  it('deliver raises the due key, list shows it, ack and resolve tell the route', async () => {
    expect((await rekey('alerts', 'deliver', '--once')).code).toBe(0);
    const listed = await rekey('alerts', 'list', '--json');
    const [alert] = JSON.parse(listed.stdout) as Array<{ key: string; kind: string; state: string }>;
    expect(alert).toMatchObject({ key: 'key-age-due:openai/billing/prod:v1', kind: 'key-age-due', state: 'open' });
    expect((await rekey('alerts', 'show', alert?.key ?? '')).stdout).toContain('maximum age');
    expect((await rekey('alerts', 'ack', alert?.key ?? '', '--by', 'user:alice')).stdout).toContain('acknowledged key-age-due:openai/billing/prod:v1 (told ops)');
    expect((await rekey('alerts', 'ack', alert?.key ?? '')).stdout).toContain('already acknowledged');
    expect((await rekey('alerts', 'resolve', alert?.key ?? '')).code).toBe(0);
    expect((await rekey('alerts', 'list', '--state', 'all', '--json')).stdout).toContain('"state": "resolved"');
    const actions = receiver.accepted.filter((item) => item.payload['kind'] === 'key-age-due').map((item) => item.payload['action']);
    expect(actions).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect(receiver.server.requests.map((request) => request.body.toString()).join('\n')).not.toContain(PLANTED);
  });

  it('dead messages are listed and retried; bad input is refused clearly', async () => {
    receiver.server.failNext(410);
    // A resolved alert raised again opens round 2 (the key is still due).
    expect((await rekey('alerts', 'deliver', '--once')).stdout).toMatch(/dead msg_\w+@ops: .*410/);
    const dead = JSON.parse((await rekey('alerts', 'list', '--dead', '--json')).stdout) as Array<{ id: string; state: string }>;
    expect(dead).toHaveLength(1);
    expect((await rekey('alerts', 'list')).stdout).toContain('1 dead message(s)');
    expect((await rekey('alerts', 'retry', dead[0]?.id ?? '')).stdout).toContain('is pending again');
    expect((await rekey('alerts', 'deliver', '--once')).stdout).toContain('delivered');
    expect((await rekey('alerts', 'retry', dead[0]?.id ?? '')).code).toBe(1);
    const bad = await rekey('alerts', 'list', '--state', 'weird');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--state must be one of');
    expect((await rekey('alerts', 'ack', 'no-such-alert')).stderr).toContain('no alert no-such-alert');
  });
});
