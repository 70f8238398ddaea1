/**
 * OIDC providers people sign in through (issue 11, SSO): issuer, client id, the client
 * secret sealed under the master key, the claim that lists groups and, optionally, the
 * email domains allowed. The row carries a MAC (it decides who may sign in), so a provider
 * written by SQL is refused.
 */
import { NotFoundError, PolicyError, UsageError } from '../core/errors.js';
import type { Envelope } from '../crypto/envelope.js';
import { openText, sealText } from '../crypto/sealed-text.js';
import type { SsoProviderRecord } from '../store/identity-store-types.js';
import type { TeamDeps } from './team-deps.js';

const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,127}$/;
const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

export function ssoProviderMacFields(provider: Pick<SsoProviderRecord, 'name' | 'issuer' | 'clientId' | 'clientSecretSealed' | 'groupsClaim' | 'allowedDomains'>): Record<string, unknown> {
  return { name: provider.name, issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecretSealed !== null, groupsClaim: provider.groupsClaim, allowedDomains: [...provider.allowedDomains].sort() };
}

function clientSecretContext(name: string) {
  return { credentialId: `sso-client:${name}`, version: 0 };
}

/** https, or http on loopback only (tests, a local IdP). */
export function checkIssuerUrl(text: string): string {
  let issuer: URL;
  try {
    issuer = new URL(text);
  } catch {
    throw new UsageError(`issuer "${text.slice(0, 100)}" is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && loopback)) throw new UsageError(`issuer ${issuer.origin} must be https (http only on loopback)`);
  return text.replace(/\/+$/, '');
}

export interface SaveSsoProviderInput {
  name: string;
  issuer: string;
  clientId: string;
  /** Null for a public client (PKCE only). */
  clientSecret: string | null;
  groupsClaim?: string | undefined;
  allowedDomains?: readonly string[] | undefined;
}

export async function saveSsoProvider(deps: TeamDeps & { envelope: Envelope }, input: SaveSsoProviderInput): Promise<SsoProviderRecord> {
  if (!PROVIDER_NAME.test(input.name)) throw new UsageError(`SSO provider name "${input.name.slice(0, 60)}" must be 1-48 characters of a-z, 0-9 and -, starting with a letter`);
  const issuer = checkIssuerUrl(input.issuer);
  if (input.clientId.trim() === '' || input.clientId.length > 300) throw new UsageError('--client-id must be the client id registered at the IdP');
  const groupsClaim = input.groupsClaim ?? 'groups';
  if (!CLAIM_NAME.test(groupsClaim)) throw new UsageError(`--groups-claim ${groupsClaim.slice(0, 60)} is not a claim name`);
  const allowedDomains = [...new Set((input.allowedDomains ?? []).map((domain) => domain.trim().toLowerCase()))].sort();
  for (const domain of allowedDomains) if (!DOMAIN.test(domain)) throw new UsageError(`--allowed-domain ${domain.slice(0, 60)} is not a domain name (e.g. acme.com)`);
  const clientSecretSealed = input.clientSecret === null ? null : sealText(deps.envelope, input.clientSecret, clientSecretContext(input.name));
  const draft = { name: input.name, issuer, clientId: input.clientId, clientSecretSealed, groupsClaim, allowedDomains };
  const saved = await deps.store.saveSsoProvider({ ...draft, createdAt: deps.clock.now(), createdBy: deps.actor, mac: deps.integrity?.tag('sso_providers', ssoProviderMacFields(draft)) ?? null });
  await deps.audit.record({
    event: 'sso-provider-save', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok',
    detail: { provider: saved.name, issuer, clientId: saved.clientId, clientSecret: clientSecretSealed !== null, groupsClaim, allowedDomains },
  });
  return saved;
}

export async function removeSsoProvider(deps: TeamDeps, name: string): Promise<void> {
  await deps.store.removeSsoProvider(name);
  await deps.audit.record({ event: 'sso-provider-remove', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { provider: name } });
}

/** The provider, refused when absent or when its row fails its MAC. */
export async function requireSsoProvider(deps: Pick<TeamDeps, 'store' | 'integrity'>, name: string): Promise<SsoProviderRecord> {
  const provider = await deps.store.getSsoProvider(name);
  if (provider === undefined) throw new NotFoundError(`no SSO provider named ${name.slice(0, 60)}`, { hint: 'rekey sso list' });
  if (deps.integrity !== undefined && !deps.integrity.check('sso_providers', ssoProviderMacFields(provider), provider.mac)) {
    throw new PolicyError(`the SSO provider ${name} fails its integrity check (written without the master key); add it again with rekey sso add`);
  }
  return provider;
}

export function openClientSecret(envelope: Envelope, provider: SsoProviderRecord): string | null {
  return provider.clientSecretSealed === null ? null : openText(envelope, provider.clientSecretSealed, clientSecretContext(provider.name), `the client secret of SSO provider ${provider.name}`);
}
