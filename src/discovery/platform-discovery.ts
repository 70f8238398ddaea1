/**
 * Hosting platforms and automation tools: Vercel project variables, Netlify site
 * variables, Doppler configs and 1Password Connect vaults return values to their token, so
 * they are checked by fingerprint; Fly.io secrets and n8n credentials never return values,
 * so likely-named ones are listed as `unverifiable`. Each proposal is the consumer entry
 * of the matching sink kind. Tokens are passed in by the command (the sinks' default
 * variables); they travel only over https or to loopback.
 */
import { requireSecureUrl } from '../sinks/sink-credentials.js';
import { createSinkHttp, type SinkHttp } from '../sinks/sink-http.js';
import { LIKELY_KEY_NAME, proposalName, type DiscoveryFinding, type DiscoverySource, type DiscoveryTarget } from './discovery-spec.js';

const VERSIONED = /(_V\d+| v\d+)$/;

function bearer(sink: string, label: string, baseUrl: string, token: string, header = 'authorization'): SinkHttp {
  requireSecureUrl(baseUrl, `${label} discovery: the API URL`);
  return createSinkHttp({ sink, label, baseUrl, headers: { [header]: header === 'authorization' ? `Bearer ${token}` : token } });
}

export function createVercelDiscoverySource(options: { token: string; project: string; teamId?: string | undefined; apiUrl?: string | undefined }): DiscoverySource {
  const apiUrl = options.apiUrl ?? 'https://api.vercel.com';
  const http = bearer('vercel-env', 'Vercel', apiUrl, options.token);
  const team = options.teamId === undefined ? '' : `?teamId=${encodeURIComponent(options.teamId)}`;
  const project = encodeURIComponent(options.project);
  return {
    name: 'vercel',
    async discover(target) {
      const list = await http.request({ method: 'GET', path: `/v10/projects/${project}/env${team}`, action: 'list the environment variables' });
      const findings: DiscoveryFinding[] = [];
      for (const env of (list.body as { envs?: Array<{ id: string; key: string; type?: string; target?: string[] }> } | undefined)?.envs ?? []) {
        if (VERSIONED.test(env.key)) continue;
        if (env.type === 'sensitive') {
          if (LIKELY_KEY_NAME.test(env.key)) findings.push({ source: 'vercel', status: 'unverifiable', location: `Vercel project ${options.project} variable ${env.key}`, notes: ['a sensitive variable: Vercel never returns its value'] });
          continue;
        }
        const one = await http.request({ method: 'GET', path: `/v1/projects/${project}/env/${encodeURIComponent(env.id)}${team}`, action: `read ${env.key}` });
        const value = (one.body as { value?: unknown } | undefined)?.value;
        if (typeof value !== 'string' || !target.matches(value)) continue;
        findings.push({
          source: 'vercel',
          status: 'match',
          location: `Vercel project ${options.project} variable ${env.key} (${(env.target ?? []).join(', ')})`,
          proposal: { name: proposalName('vercel', options.project, env.key), kind: 'vercel-env', config: { project: options.project, name: env.key, ...(env.target === undefined ? {} : { target: env.target }), ...(options.teamId === undefined ? {} : { teamId: options.teamId }), ...(options.apiUrl === undefined ? {} : { apiUrl }) } },
          notes: [],
        });
      }
      return findings;
    },
  };
}

export function createNetlifyDiscoverySource(options: { token: string; account: string; site: string; apiUrl?: string | undefined }): DiscoverySource {
  const apiUrl = options.apiUrl ?? 'https://api.netlify.com';
  const http = bearer('netlify-env', 'Netlify', apiUrl, options.token);
  return {
    name: 'netlify',
    async discover(target) {
      const list = await http.request({ method: 'GET', path: `/api/v1/accounts/${encodeURIComponent(options.account)}/env?site_id=${encodeURIComponent(options.site)}`, action: 'list the environment variables' });
      const findings: DiscoveryFinding[] = [];
      for (const env of (list.body as Array<{ key: string; values?: Array<{ context?: string; value?: string }> }> | undefined) ?? []) {
        if (VERSIONED.test(env.key)) continue;
        for (const entry of env.values ?? []) {
          if (typeof entry.value !== 'string' || !target.matches(entry.value)) continue;
          findings.push({
            source: 'netlify',
            status: 'match',
            location: `Netlify site ${options.site} variable ${env.key} (${entry.context ?? 'all'})`,
            proposal: { name: proposalName('netlify', options.site, env.key, entry.context ?? 'all'), kind: 'netlify-env', config: { account: options.account, site: options.site, name: env.key, context: entry.context ?? 'all', ...(options.apiUrl === undefined ? {} : { apiUrl }) } },
            notes: [],
          });
        }
      }
      return findings;
    },
  };
}

export function createDopplerDiscoverySource(options: { token: string; project: string; config: string; apiUrl?: string | undefined }): DiscoverySource {
  const apiUrl = options.apiUrl ?? 'https://api.doppler.com';
  const http = bearer('doppler', 'Doppler', apiUrl, options.token);
  return {
    name: 'doppler',
    async discover(target) {
      const list = await http.request({ method: 'GET', path: `/v3/configs/config/secrets?project=${encodeURIComponent(options.project)}&config=${encodeURIComponent(options.config)}`, action: 'list the secrets' });
      const secrets = (list.body as { secrets?: Record<string, { raw?: unknown }> } | undefined)?.secrets ?? {};
      return Object.entries(secrets)
        .filter(([name, value]) => !VERSIONED.test(name) && typeof value.raw === 'string' && target.matches(value.raw))
        .map(([name]) => ({
          source: 'doppler',
          status: 'match' as const,
          location: `Doppler ${options.project}/${options.config} secret ${name}`,
          proposal: { name: proposalName('doppler', options.project, options.config, name), kind: 'doppler' as const, config: { project: options.project, config: options.config, name, ...(options.apiUrl === undefined ? {} : { apiUrl }) } },
          notes: [],
        }));
    },
  };
}

export function createOnePasswordDiscoverySource(options: { token: string; connectUrl: string; vault: string; maxItems?: number | undefined }): DiscoverySource {
  const http = bearer('1password-connect', '1Password Connect', options.connectUrl, options.token);
  return {
    name: '1password',
    async discover(target: DiscoveryTarget) {
      const list = await http.request({ method: 'GET', path: `/v1/vaults/${encodeURIComponent(options.vault)}/items`, action: 'list the items' });
      const findings: DiscoveryFinding[] = [];
      for (const summary of ((list.body as Array<{ id: string; title?: string }> | undefined) ?? []).slice(0, options.maxItems ?? 500)) {
        const item = await http.request({ method: 'GET', path: `/v1/vaults/${encodeURIComponent(options.vault)}/items/${encodeURIComponent(summary.id)}`, action: 'read an item' });
        for (const field of (item.body as { fields?: Array<{ label?: string; value?: unknown }> } | undefined)?.fields ?? []) {
          if (typeof field.value !== 'string' || field.label === undefined || VERSIONED.test(field.label) || !target.matches(field.value)) continue;
          findings.push({
            source: '1password',
            status: 'match',
            location: `1Password item "${summary.title ?? summary.id}" field "${field.label}"`,
            proposal: { name: proposalName('1password', summary.title ?? summary.id), kind: '1password-connect', config: { connectUrl: options.connectUrl, vault: options.vault, item: summary.id, field: field.label } },
            notes: [],
          });
        }
      }
      return findings;
    },
  };
}

export function createFlyDiscoverySource(options: { token: string; app: string; apiUrl?: string | undefined }): DiscoverySource {
  const apiUrl = options.apiUrl ?? 'https://api.machines.dev';
  const http = bearer('fly-secrets', 'Fly.io', apiUrl, options.token);
  return {
    name: 'fly',
    async discover() {
      const list = await http.request({ method: 'GET', path: `/v1/apps/${encodeURIComponent(options.app)}/secrets`, action: 'list the secrets' });
      return ((list.body as { secrets?: Array<{ name?: string }> } | undefined)?.secrets ?? [])
        .map((secret) => secret.name)
        .filter((name): name is string => typeof name === 'string' && LIKELY_KEY_NAME.test(name) && !VERSIONED.test(name))
        .map((name) => ({
          source: 'fly',
          status: 'unverifiable' as const,
          location: `Fly.io app ${options.app} secret ${name}`,
          proposal: { name: proposalName('fly', options.app, name), kind: 'fly-secrets' as const, config: { app: options.app, name, ...(options.apiUrl === undefined ? {} : { apiUrl }) } },
          notes: ['Fly.io never returns secret values: add it only if you know it holds this key'],
        }));
    },
  };
}

export function createN8nDiscoverySource(options: { token: string; baseUrl: string }): DiscoverySource {
  const http = bearer('n8n-credential', 'n8n', options.baseUrl, options.token, 'x-n8n-api-key');
  const KEY_TYPES = /^(openAiApi|anthropicApi|googlePalmApi|mistralCloudApi|groqApi|openRouterApi|azureOpenAiApi|deepSeekApi|xAiApi)$/;
  return {
    name: 'n8n',
    async discover() {
      const findings: DiscoveryFinding[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page += 1) {
        const list = await http.request({ method: 'GET', path: `/api/v1/credentials?limit=250${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, action: 'list the credentials' });
        const body = (list.body ?? {}) as { data?: Array<{ name: string; type?: string }>; nextCursor?: string | null };
        for (const credential of body.data ?? []) {
          if (VERSIONED.test(credential.name) || !(KEY_TYPES.test(credential.type ?? '') || LIKELY_KEY_NAME.test(credential.name))) continue;
          findings.push({
            source: 'n8n',
            status: 'unverifiable',
            location: `n8n credential "${credential.name}" (${credential.type ?? 'unknown type'})`,
            proposal: { name: proposalName('n8n', credential.name), kind: 'n8n-credential', config: { baseUrl: options.baseUrl, name: credential.name, ...(credential.type === undefined ? {} : { type: credential.type }) } },
            notes: ['n8n never returns credential data: add it only if you know it holds this key'],
          });
        }
        if (typeof body.nextCursor !== 'string' || body.nextCursor === '') break;
        cursor = body.nextCursor;
      }
      return findings;
    },
  };
}
