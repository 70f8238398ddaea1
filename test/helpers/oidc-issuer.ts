/**
 * A real OpenID Connect issuer on loopback (oidc-provider, a certified server library), for
 * the OIDC tests: CI clients that get JWT access tokens by client credentials carrying
 * `repository` and `ref` claims as a CI platform's token does (workload identity); and, for
 * SSO, test people (`accounts`, found by `findAccount`) who sign in through the issuer's
 * real interaction API: `/interaction/{uid}` finishes the login as `next.account` (with
 * `next.amr`) and grants consent, so a test walks the whole code flow over HTTP.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

export interface CiJob {
  repository: string;
  ref: string;
}

export interface OidcIssuer {
  issuer: string;
  provider: Provider;
  /** Who the next interaction signs in, and how (`amr`). */
  next: { account: string; amr?: string[] | undefined };
  /** A CI job's token: client credentials of `client` for `audience`. */
  ciToken(client: string, audience: string): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcIssuer(options: { ciJobs?: Record<string, CiJob>; accounts?: Record<string, Record<string, unknown>>; configure?: (issuer: string) => Partial<Configuration> } = {}): Promise<OidcIssuer> {
  const accounts = options.accounts ?? {};
  const next: OidcIssuer['next'] = { account: Object.keys(accounts)[0] ?? '' };
  const ciJobs = options.ciJobs ?? {};
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const extra = options.configure?.(issuer) ?? {};
  const provider = new Provider(issuer, {
    ...extra,
    clients: [
      ...Object.keys(ciJobs).map((client) => ({ client_id: client, client_secret: `secret-${client}`, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] })),
      ...(extra.clients ?? []),
    ],
    jwks: { keys: [jwk] },
    findAccount: (_context, sub) => (accounts[sub] === undefined ? undefined : { accountId: sub, claims: () => ({ sub, ...accounts[sub] }) }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'groups'] },
    conformIdTokenClaims: false,
    interactions: { url: (_context, interaction) => `/interaction/${interaction.uid}` },
    scopes: ['openid', 'email', 'profile', 'deploy'],
    features: {
      ...extra.features,
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_context, client) => (ciJobs[client.clientId] === undefined ? undefined : 'https://rekey.example.test') as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_context, resource) => ({ scope: 'deploy', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    extraTokenClaims: (_context, token) => ciJobs[String((token as { clientId?: string }).clientId)] ?? {},
  });
  const callback = provider.callback();
  server.on('request', (request, response) => {
    if (!request.url?.startsWith('/interaction/')) return void callback(request, response);
    void (async () => {
      const details = await provider.interactionDetails(request, response);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(request, response, { login: { accountId: next.account, ...(next.amr === undefined ? {} : { amr: next.amr }) } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: String(details.session?.accountId), clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      await provider.interactionFinished(request, response, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  return {
    issuer,
    provider,
    next,
    async ciToken(client, audience) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client}:secret-${client}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience, scope: 'deploy' }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (body.access_token === undefined) throw new Error(`token endpoint: ${body.error ?? response.status}`);
      return body.access_token;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
