/**
 * Attacks on read tokens (issue #11 items 2, 3 and 8), through `rekey serve` on a real
 * socket, on SQLite and PostgreSQL:
 * - a long poll opened before its token was revoked used to receive the next key when the
 *   rotation came; now the answer that waited checks the token again and is a 401;
 * - a token used to read a credential removed and created again under the same name (it
 *   was scoped by name); now it is scoped by credential id and gets a 403;
 * - a token bound to a network is refused from outside it; `/metrics` takes a read token;
 *   the first delivery of each version to each token is audited, and every one counted.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { ATTACK_DIALECTS, createAttackInstall, type AttackInstall } from './attack-install.js';

const POLLED = 'manual/poll/prod';
const RECREATED = 'manual/recreated/prod';

describe.each(ATTACK_DIALECTS)('attack: read tokens that outlive their grant [%s]', (dialect) => {
  const value = (label: string) => `sk-${label}-${randomBytes(16).toString('hex')}`;
  const first = value('first');
  const second = value('second');
  const original = value('original');
  const impostor = value('impostor');
  let install: AttackInstall;
  let server: RunningKeyServer;
  const tokens: Record<string, string> = {};

  const token = async (name: string, credential: string, ...extra: string[]) =>
    (JSON.parse((await install.ok(['token', 'create', name, '--kind', 'read', '--credential', credential, '--json', ...extra])).stdout) as { token: string }).token;
  const keys = (name: string, secret: string, headers: Record<string, string> = {}, query = '') =>
    fetch(`${server.url}/v1/credentials/${name}/keys${query}`, { headers: { authorization: `Bearer ${secret}`, ...headers } });

  beforeAll(async () => {
    install = await createAttackInstall(dialect);
    await install.ok(['credential', 'add', POLLED, '--provider', 'manual', '--read-value'], `${first}\n`);
    await install.ok(['credential', 'add', RECREATED, '--provider', 'manual', '--read-value'], `${original}\n`);
    tokens.poller = await token('poller', POLLED);
    tokens.reader = await token('reader', RECREATED);
    tokens.elsewhere = await token('elsewhere', POLLED, '--cidr', '10.0.0.0/8');
    tokens.loopback = await token('loopback', POLLED, '--cidr', '127.0.0.0/8', '--cidr', '::1/128', '--ttl', '1h');
    const context = await install.context();
    server = await startKeyServer({ store: context.store, vault: context.vault, audit: context.audit, pollIntervalMilliseconds: 100 });
  }, 90_000);
  afterAll(async () => {
    await server?.close();
    await install?.dispose();
  });

  it('a long poll opened before its token was revoked gets a 401, not the next key', async () => {
    const initial = await keys(POLLED, tokens.poller as string);
    expect(initial.status).toBe(200);
    const etag = initial.headers.get('etag') ?? '';
    const waiting = keys(POLLED, tokens.poller as string, { 'if-none-match': etag }, '?wait=30');
    await install.ok(['token', 'revoke', 'poller', '--yes']);
    await install.ok(['credential', 'set-value', POLLED], `${second}\n`);
    await install.ok(['credential', 'promote', POLLED]);
    const answer = await waiting;
    const body = await answer.text();
    expect(answer.status).toBe(401);
    expect(body).toContain('revoked or expired while the request waited');
    expect(body).not.toContain(second);
  });

  it('a token does not read a credential removed and created again under the same name', async () => {
    expect(await (await keys(RECREATED, tokens.reader as string)).text()).toContain(original);
    await install.ok(['credential', 'remove', RECREATED, '--yes']);
    await install.ok(['credential', 'add', RECREATED, '--provider', 'manual', '--read-value'], `${impostor}\n`);
    const response = await keys(RECREATED, tokens.reader as string);
    const body = await response.text();
    expect(response.status).toBe(403);
    expect(body).not.toContain(impostor);
  });

  it('a token bound to a network is refused from outside it, and accepted from inside', async () => {
    expect((await keys(POLLED, tokens.elsewhere as string)).status).toBe(401);
    const inside = await keys(POLLED, tokens.loopback as string);
    expect(inside.status).toBe(200);
    expect(await inside.text()).toContain(second);
  });

  it('/metrics takes a read token; deliveries are counted and the first one of a version to a token is audited', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    await keys(POLLED, tokens.loopback as string);
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tokens.loopback as string}` } })).text();
    expect(metrics).toMatch(new RegExp(`rekey_key_deliveries_total\\{credential="${POLLED}",version="2",token="loopback"\\} 2`));
    expect(metrics).not.toContain(second);
    const events = JSON.parse((await install.ok(['audit', 'list', '--json'])).stdout) as Array<{ event: string; actor: string; credential: string | null; detail: { version?: number } }>;
    const deliveries = events.filter((event) => event.event === 'key-deliver' && event.actor === 'token:loopback');
    // Two GETs, each handing out version 2 and (during grace) version 1: one event per version.
    expect(deliveries.map((event) => [event.credential, event.detail.version]).sort()).toEqual([[POLLED, 1], [POLLED, 2]]);
    expect(JSON.stringify(events)).not.toContain(second);
  });
});
