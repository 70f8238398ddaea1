/**
 * OIDC workload identity against a real, certified OIDC server library on loopback
 * (oidc-provider): two CI clients get JWT access tokens by client credentials, carrying
 * repository and ref claims as a CI platform's token does. rekey verifies each against the
 * issuer's discovered JWKS and maps it to a workload identity by its bound claims; another
 * repository, another audience, an expired token, a token signed by another key and a
 * token from an untrusted issuer are refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import type { TeamDeps } from '../../src/team/team-deps.js';
import { createWorkloadVerifier, saveWorkloadIdentity } from '../../src/team/workload-identity.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';

const AUDIENCE = 'https://rekey.example.test';
const CLAIMS: Record<string, { repository: string; ref: string }> = {
  'deploy-main': { repository: 'acme/app', ref: 'refs/heads/main' },
  'deploy-fork': { repository: 'mallory/app', ref: 'refs/heads/main' },
};

describe('OIDC workload identity (oidc-provider on loopback)', () => {
  let server: Server;
  let issuer = '';
  let scratch: ScratchStore;
  let deps: TeamDeps;
  const clock = createManualClock(new Date());

  async function tokenFor(client: string, resource = AUDIENCE): Promise<string> {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client}:secret-${client}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'deploy' }),
    });
    const body = (await response.json()) as { access_token?: string; error?: string };
    if (body.access_token === undefined) throw new Error(`token endpoint: ${body.error ?? response.status}`);
    return body.access_token;
  }

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: Object.keys(CLAIMS).map((client) => ({ client_id: client, client_secret: `secret-${client}`, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] })),
      jwks: { keys: [jwk] },
      scopes: ['deploy'],
      features: {
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => AUDIENCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_context, resource) => ({ scope: 'deploy', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } }),
        },
      },
      extraTokenClaims: (_context, token) => CLAIMS[String((token as { clientId?: string }).clientId)] ?? {},
    });
    server.on('request', provider.callback());
    scratch = await openScratchStore({ now: () => clock.now() });
    deps = { store: scratch.store, audit: createAuditLog({ store: scratch.store, clock }), clock, actor: 'cli:test' };
    await saveWorkloadIdentity(deps, { name: 'acme-deploy', issuer, audience: AUDIENCE, boundClaims: { repository: 'acme/*', ref: 'refs/heads/main' }, groups: ['ci-deployers'] });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await scratch.close();
  });

  it('maps a token with matching claims to the identity and its groups', async () => {
    const session = await createWorkloadVerifier(deps).verify(await tokenFor('deploy-main'));
    expect(session).toMatchObject({ identity: { name: 'acme-deploy' }, principal: { name: 'workload:acme-deploy', groups: ['ci-deployers'], active: true }, subject: 'deploy-main' });
  });

  it('refuses other claims, another audience, expiry, a foreign signature and an untrusted issuer', async () => {
    const verifier = createWorkloadVerifier(deps);
    await expect(verifier.verify(await tokenFor('deploy-fork'))).rejects.toThrow('no workload identity binds these claims');
    await expect(verifier.verify(await tokenFor('deploy-main', 'https://elsewhere.example.test'))).rejects.toThrow('signature, audience or expiry');
    const token = await tokenFor('deploy-main');
    clock.advance(10 * 60_000);
    await expect(verifier.verify(token)).rejects.toThrow('signature, audience or expiry');
    clock.advance(-10 * 60_000);
    const { privateKey: foreign } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...CLAIMS['deploy-main'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(AUDIENCE).setSubject('deploy-main').setIssuedAt().setExpirationTime('5m').sign(foreign);
    await expect(verifier.verify(forged)).rejects.toThrow('signature, audience or expiry');
    const stranger = await new SignJWT({ ...CLAIMS['deploy-main'] }).setProtectedHeader({ alg: 'RS256' }).setIssuer('https://ci.example.test').setAudience(AUDIENCE).setExpirationTime('5m').sign(foreign);
    await expect(verifier.verify(stranger)).rejects.toThrow('no workload identity trusts issuer https://ci.example.test');
    await expect(verifier.verify('not-a-jwt')).rejects.toThrow('not a JWT');
  });
});
