/**
 * A real OpenID Connect issuer on loopback (oidc-provider, a certified server library), for
 * the OIDC tests: CI clients that get JWT access tokens by client credentials carrying
 * `repository` and `ref` claims as a CI platform's token does (workload identity).
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
  /** A CI job's token: client credentials of `client` for `audience`. */
  ciToken(client: string, audience: string): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcIssuer(options: { ciJobs?: Record<string, CiJob>; configure?: (issuer: string) => Partial<Configuration> } = {}): Promise<OidcIssuer> {
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
    scopes: ['openid', 'email', 'profile', 'deploy'],
    features: {
      ...extra.features,
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
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
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
