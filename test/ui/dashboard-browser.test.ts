/**
 * The web dashboard in real Chromium (issue 16) against `rekey serve`'s app on a real
 * loopback socket, over a real SQLite store with team mode on (TOTP, step-up, approvals).
 * One browser for the file. Every key value the world holds is planted and searched for in
 * the DOM, every network response body and the console: zero hits.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenFetch } from '../../src/access/listen-fetch.js';
import { enrollTotp, confirmTotp } from '../../src/team/mfa-service.js';
import { totpCode } from '../../src/team/totp.js';
import { createApiWorld, PASSWORD, type ApiWorld } from '../helpers/api-world.js';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let world: ApiWorld;
let browser: Browser;
let url = '';
let close: () => Promise<void>;
let aliceSecret = '';
const planted: string[] = [PASSWORD];
const seen: string[] = [];
const consoleErrors: string[] = [];
/** A refusal a test provokes on purpose (the forged request) is not a console fault. */
let provoked: RegExp | undefined;

async function watched(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(8_000);
  page.on('console', (message) => {
    seen.push(message.text());
    // Chromium logs every 4xx as a console error; the 401s of "am I signed in?" and of the
    // password step before the TOTP code are the protocol, not faults. Anything else counts.
    const expected401 = /status of 401/.test(message.text()) && /\/v1\/auth\/(whoami|browser-login)$/.test(message.location().url);
    const wanted = provoked !== undefined && provoked.test(`${message.text()} ${message.location().url}`);
    if (message.type() === 'error' && !expected401 && !wanted) consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  page.on('response', (response) => {
    void response.text().then(
      (text) => seen.push(text),
      () => undefined,
    );
  });
  return page;
}

async function signIn(page: Page, user: string, code?: () => string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (code !== undefined) {
    await page.getByLabel('Authenticator code').fill(code());
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
  }
  await page.getByRole('heading', { name: 'Inventory' }).waitFor();
}

async function axe(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
  // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses inline scripts.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.length }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

beforeAll(async () => {
  world = await createApiWorld({ team: true });
  await world.addPerson('alice', [{ role: 'admin', scope: {} }]);
  await world.addPerson('bob', [{ role: 'viewer', scope: {} }]);
  const deps = { store: world.store, audit: world.audit, clock: world.clock, actor: 'test:setup', envelope: world.services.team!.envelope };
  aliceSecret = (await enrollTotp(deps, 'alice')).secret;
  await confirmTotp(deps, 'alice', totpCode(aliceSecret, world.clock.now()));
  world.clock.advance(30_000);
  for (const name of ['openai/ticketing/prod', 'openai/ticketing/staging', 'anthropic/search/prod']) {
    const credential = await world.addCredential(name, { provider: name.startsWith('anthropic') ? 'anthropic' : 'openai' });
    planted.push((await world.vault.reveal(credential, 1)).reveal());
  }
  const listening = await listenFetch(world.app.fetch, { host: '127.0.0.1', port: 0 });
  url = listening.url.replace(/\/$/, '');
  close = listening.close;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await close?.();
  await world?.close();
});

describe('web dashboard in Chromium', () => {
  it('serves /ui/ with a strict CSP and clickjacking headers, signs in with password + TOTP into an HttpOnly SameSite=Strict cookie and shows the inventory', async () => {
    const context = await browser.newContext();
    const page = await watched(context);
    const first = await page.goto(`${url}/ui/`);
    const headers = first?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("style-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    await signIn(page, 'alice', () => totpCode(aliceSecret, world.clock.now()));
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'rekey_session', httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).toBe('');
    const rows = page.getByTestId('inventory').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    // Search is in the URL (shareable), and a fresh load of that URL shows the same rows.
    await page.getByRole('searchbox', { name: 'Search' }).fill('ticketing');
    await expect.poll(() => rows.count()).toBe(2);
    expect(page.url()).toContain('q=ticketing');
    await page.goto(page.url());
    await expect.poll(() => page.getByTestId('inventory').locator('tbody tr').count()).toBe(2);
    expect(await axe(page)).toEqual([]);
    // The credential screen: versions and audit events; no key value anywhere.
    await page.getByRole('link', { name: 'openai/ticketing/prod' }).click();
    await page.getByRole('heading', { name: 'openai/ticketing/prod' }).waitFor();
    await page.getByRole('heading', { name: 'Versions' }).waitFor();
    expect(await axe(page)).toEqual([]);
    for (const screen of ['Rotations', 'Approvals', 'Audit', 'People']) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: screen }).click();
      await page.getByRole('heading', { level: 1, name: screen === 'People' ? 'People and access' : screen }).waitFor();
      if (screen === 'Audit') expect(await page.getByTestId('chain').textContent()).toMatch(/^Hash chain verified: \d+ events intact\.$/);
      seen.push(await page.content());
      expect(await axe(page), screen).toEqual([]);
    }
    await context.close();
  }, 30_000);

  it('a viewer sees no action buttons, and a forged state change is refused (viewer: 403 forbidden; cross-site or without the CSRF token: 403)', async () => {
    const context = await browser.newContext();
    const page = await watched(context);
    await signIn(page, 'bob');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rotations' }).click();
    await page.getByRole('heading', { name: 'Rotations' }).waitFor();
    expect(await page.getByRole('button', { name: /rotate/i }).count()).toBe(0);
    // The viewer forges the call from its own page, with its own CSRF token: the role check refuses it.
    provoked = /status of 403 .*\/v1\/rotations$/;
    const forged = await page.evaluate(async () => {
      const me = (await (await fetch('/v1/auth/whoami')).json()) as { csrf: string };
      const response = await fetch('/v1/rotations', { method: 'POST', headers: { 'content-type': 'application/json', 'x-rekey-csrf': me.csrf }, body: JSON.stringify({ credential: 'openai/ticketing/staging' }) });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    });
    provoked = undefined;
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('forbidden');
    // Another site's request carries the cookie (same host, other port) but not our Origin, nor the token.
    const [cookie] = await context.cookies();
    const jar = `rekey_session=${cookie?.value ?? ''}`;
    const crossSite = await fetch(`${url}/v1/auth/logout`, { method: 'POST', headers: { cookie: jar, origin: 'http://127.0.0.1:9' } });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe('cross-site');
    const noToken = await fetch(`${url}/v1/auth/logout`, { method: 'POST', headers: { cookie: jar, origin: url } });
    expect(noToken.status).toBe(403);
    // Still signed in: neither forgery ended the session.
    expect((await fetch(`${url}/v1/auth/whoami`, { headers: { cookie: jar } })).status).toBe(200);
    await context.close();
  }, 20_000);

  it('respects prefers-color-scheme: dark, and the main screens work from the keyboard', async () => {
    const context = await browser.newContext({ colorScheme: 'dark' });
    const page = await watched(context);
    await signIn(page, 'bob');
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(15, 20, 25)');
    expect(await axe(page)).toEqual([]);
    // Tab from the top: the skip link first, then the navigation; Enter follows a link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Rotations');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Rotations' }).waitFor();
    await context.close();
  }, 20_000);

  it('no key value or password in any page, network response or console message; no console errors', () => {
    const all = seen.join('\n');
    expect(seen.length).toBeGreaterThan(10);
    for (const secret of planted) expect(all.includes(secret), 'a planted secret was seen').toBe(false);
    expect(consoleErrors).toEqual([]);
  });
});
