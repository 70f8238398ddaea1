/**
 * Delivery that loses nothing, proven with real processes: the built `rekey` binary runs
 * the scheduler daemon or the outbox worker against a SQLite store and a Standard
 * Webhooks receiver on loopback, and is SIGKILLed at a deterministic point
 * (REKEY_TEST_ALERT_PAUSE makes it stop there and say so): after the outbox write and
 * before delivery, after the claim, and after the send but before the acknowledgement.
 * A restart on the same store then delivers: every message arrives, and the receiver acts
 * on each once (a redelivery carries the same webhook-id, so it is a recognised duplicate).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/alerts/channels/standard-webhooks.js';
import { openStore } from '../../src/store/open-store.js';
import { REKEY_BIN, runRekey, startRekey, temporaryHome } from '../helpers/cli-runner.js';
import { startStandardWebhookReceiver, type StandardWebhookReceiver } from '../fakes/standard-webhook-receiver.js';

const PLANTED = 'sk-proj-ALERTKILLxPLANTEDx0123456789abcdefABCDEF';
const SKIP = existsSync(REKEY_BIN) ? '' : ' [skipped: dist/ is not built]';

interface Paused {
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the binary until it prints the pause line, then SIGKILLs it. */
async function runUntilPausedThenKill(args: string[], env: Record<string, string>, point: string): Promise<Paused> {
  const running = startRekey(args, { env: { ...env, REKEY_TEST_ALERT_PAUSE: point } });
  const closed = new Promise<Pick<Paused, 'code' | 'signal'>>((resolve) => running.child.on('close', (code, signal) => resolve({ code, signal })));
  await running.waitFor(new RegExp(`rekey-test-paused ${point.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).catch(() => undefined);
  running.child.kill('SIGKILL');
  return { stderr: running.stderr(), ...(await closed) };
}

describe.skipIf(SKIP !== '')(`alert outbox survives SIGKILL${SKIP}`, () => {
  let receiver: StandardWebhookReceiver;
  let home: string;
  let env: Record<string, string>;
  let config: string;

  beforeEach(async () => {
    receiver = await startStandardWebhookReceiver(generateWebhookSecret());
    home = temporaryHome('rekey-alert-kill-');
    await mkdir(home, { recursive: true });
    env = { REKEY_HOME: home, REKEY_MASTER_KEY: '', ALERT_URL: receiver.url, ALERT_SECRET: receiver.secret };
    delete env['REKEY_MASTER_KEY'];
    config = join(home, '..', 'rekey.yaml');
    await writeFile(
      config,
      ['version: 1', 'notifications:', '  routes:', '    ops:', '      kind: webhook', '      urlFrom: env:ALERT_URL', '      secretFrom: env:ALERT_SECRET', '  subscriptions:', '    - { events: ["*"], routes: [ops] }', ''].join('\n'),
    );
    expect((await runRekey(['init'], { env })).code).toBe(0);
    // Due in 7 days: the scheduler raises key-age-due.
    const added = await runRekey(['credential', 'add', 'openai/billing/prod', '--provider', 'openai', '--scope', 'project=proj_billing', '--rotate-every-days', '7', '--read-value'], { env, input: `${PLANTED}\n` });
    expect(added.code, added.stderr).toBe(0);
  });

  afterEach(async () => {
    await receiver.close();
  });

  async function outboxStates(): Promise<string[]> {
    const store = await openStore({ sqlitePath: join(home, 'rekey.db') });
    try {
      return (await store.listOutbox()).map((message) => message.state);
    } finally {
      await store.close();
    }
  }

  it('killed between the outbox write and delivery: the restarted scheduler delivers it, once', async () => {
    const killed = await runUntilPausedThenKill(['scheduler', '--once', '--config', config], env, 'after-write');
    expect(killed.signal).toBe('SIGKILL');
    expect(receiver.deliveries).toHaveLength(0);
    expect(await outboxStates()).toEqual(['pending']);

    const restarted = await runRekey(['scheduler', '--once', '--config', config], { env });
    expect(restarted.code, restarted.stderr).toBe(0);
    const again = await runRekey(['scheduler', '--once', '--config', config], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(receiver.accepted).toHaveLength(1);
    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.accepted[0]?.payload['kind']).toBe('key-age-due');
    expect(await outboxStates()).toEqual(['delivered']);
    expect(receiver.server.requests.map((request) => request.body.toString()).join('\n')).not.toContain(PLANTED);
  });

  it('killed after the claim, before the send: the claim expires and a restarted worker delivers it once', async () => {
    const killed = await runUntilPausedThenKill(['alerts', 'deliver', '--once', '--lease', '1s', '--config', config], env, 'after-claim');
    expect(killed.signal).toBe('SIGKILL');
    expect(await outboxStates()).toEqual(['delivering']);
    expect(receiver.deliveries).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const restarted = await runRekey(['alerts', 'deliver', '--once', '--lease', '1s', '--config', config], { env });
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(receiver.deliveries).toHaveLength(1);
    expect(await outboxStates()).toEqual(['delivered']);
  });

  it('killed between delivery and acknowledgement: redelivered with the same id, acted on once', async () => {
    const killed = await runUntilPausedThenKill(['alerts', 'deliver', '--once', '--lease', '1s', '--config', config], env, 'after-send');
    expect(killed.signal).toBe('SIGKILL');
    expect(receiver.deliveries).toHaveLength(1);
    expect(await outboxStates()).toEqual(['delivering']);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const restarted = await runRekey(['alerts', 'deliver', '--once', '--lease', '1s', '--config', config], { env });
    expect(restarted.code, restarted.stderr).toBe(0);
    // At least once on the wire, once for the receiver: same webhook-id, recognised as a duplicate.
    expect(receiver.deliveries.map((delivery) => delivery.duplicate)).toEqual([false, true]);
    expect(new Set(receiver.deliveries.map((delivery) => delivery.id)).size).toBe(1);
    expect(receiver.accepted).toHaveLength(1);
    expect(await outboxStates()).toEqual(['delivered']);
    // Further rounds send nothing more.
    expect((await runRekey(['alerts', 'deliver', '--once', '--config', config], { env })).code).toBe(0);
    expect(receiver.deliveries).toHaveLength(2);
  });
});
