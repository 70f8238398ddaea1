/**
 * CI secret stores. GitHub never returns a secret's value, so its secrets are listed by
 * name only, as `unverifiable`, when the name looks like an LLM key (repository,
 * its environments, organisation). GitLab returns variable values to a maintainer, so
 * its variables are checked by fingerprint; hidden ones are listed as unverifiable.
 */
import type { SinkHttp } from '../sinks/sink-http.js';
import { requireSecureUrl } from '../sinks/sink-credentials.js';
import { createSinkHttp } from '../sinks/sink-http.js';
import { LIKELY_KEY_NAME, proposalName, type DiscoveryFinding, type DiscoverySource } from './discovery-spec.js';

export interface GithubDiscoveryOptions {
  token: string;
  apiUrl?: string | undefined;
  repositories?: string[] | undefined;
  organizations?: string[] | undefined;
}

async function listGithubNames(http: SinkHttp, path: string): Promise<string[]> {
  const names: string[] = [];
  for (let page = 1; page <= 20; page += 1) {
    const response = await http.request({ method: 'GET', path: `${path}?per_page=100&page=${page}`, accept: [404], action: `list ${path}` });
    const secrets = (response.body as { secrets?: Array<{ name?: unknown }> } | undefined)?.secrets ?? [];
    names.push(...secrets.map((secret) => secret.name).filter((name): name is string => typeof name === 'string'));
    if (secrets.length < 100) break;
  }
  return names;
}

export function createGithubDiscoverySource(options: GithubDiscoveryOptions): DiscoverySource {
  const apiUrl = options.apiUrl ?? 'https://api.github.com';
  requireSecureUrl(apiUrl, 'GitHub discovery: the API URL');
  const http = createSinkHttp({
    sink: 'github-actions',
    label: 'GitHub',
    baseUrl: apiUrl,
    headers: { authorization: `Bearer ${options.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'rekey' },
  });
  return {
    name: 'github',
    async discover() {
      const findings: DiscoveryFinding[] = [];
      const add = (names: string[], where: string, config: Record<string, unknown>, nameParts: string[]): void => {
        for (const name of names.filter((candidate) => LIKELY_KEY_NAME.test(candidate) && !/_V\d+$/.test(candidate))) {
          findings.push({
            source: 'github',
            status: 'unverifiable',
            location: `GitHub Actions secret ${name} (${where})`,
            proposal: { name: proposalName('gh', ...nameParts), kind: 'github-actions', config: { ...config, name, ...(options.apiUrl === undefined ? {} : { apiUrl }) } },
            notes: ['GitHub never returns secret values: add it only if you know it holds this key'],
          });
        }
      };
      for (const repository of options.repositories ?? []) {
        add(await listGithubNames(http, `/repos/${repository}/actions/secrets`), repository, { scope: 'repository', repository }, [repository]);
        const environments = await http.request({ method: 'GET', path: `/repos/${repository}/environments?per_page=100`, accept: [404], action: 'list environments' });
        const names = ((environments.body as { environments?: Array<{ name?: unknown }> } | undefined)?.environments ?? []).map((environment) => environment.name);
        for (const environment of names.filter((name): name is string => typeof name === 'string')) {
          add(await listGithubNames(http, `/repos/${repository}/environments/${encodeURIComponent(environment)}/secrets`), `${repository} environment ${environment}`, { scope: 'environment', repository, environment }, [repository, environment]);
        }
      }
      for (const organization of options.organizations ?? []) {
        add(await listGithubNames(http, `/orgs/${organization}/actions/secrets`), `org ${organization}`, { scope: 'organization', organization }, [organization]);
      }
      return findings;
    },
  };
}

export interface GitlabDiscoveryOptions {
  token: string;
  apiUrl?: string | undefined;
  projects?: string[] | undefined;
  groups?: string[] | undefined;
}

export function createGitlabDiscoverySource(options: GitlabDiscoveryOptions): DiscoverySource {
  const apiUrl = options.apiUrl ?? 'https://gitlab.com';
  requireSecureUrl(apiUrl, 'GitLab discovery: the API URL');
  const http = createSinkHttp({ sink: 'gitlab-ci', label: 'GitLab', baseUrl: apiUrl, headers: { 'private-token': options.token } });
  return {
    name: 'gitlab',
    async discover(target) {
      const findings: DiscoveryFinding[] = [];
      const owners = [
        ...(options.projects ?? []).map((project) => ({ scope: 'project' as const, id: project, path: `/api/v4/projects/${encodeURIComponent(project)}/variables` })),
        ...(options.groups ?? []).map((group) => ({ scope: 'group' as const, id: group, path: `/api/v4/groups/${encodeURIComponent(group)}/variables` })),
      ];
      for (const owner of owners) {
        for (let page = 1; page <= 20; page += 1) {
          const response = await http.request({ method: 'GET', path: `${owner.path}?per_page=100&page=${page}`, action: `list ${owner.scope} ${owner.id} variables` });
          const variables = Array.isArray(response.body) ? (response.body as Array<{ key?: unknown; value?: unknown; hidden?: unknown; environment_scope?: unknown }>) : [];
          for (const variable of variables) {
            if (typeof variable.key !== 'string' || /_V\d+$/.test(variable.key)) continue;
            const environmentScope = typeof variable.environment_scope === 'string' ? variable.environment_scope : '*';
            const config = { scope: owner.scope, [owner.scope]: owner.id, name: variable.key, environmentScope, ...(options.apiUrl === undefined ? {} : { apiUrl }) };
            const location = `GitLab CI variable ${variable.key} (${owner.scope} ${owner.id}, ${environmentScope})`;
            const proposal = { name: proposalName('gitlab', owner.id, variable.key), kind: 'gitlab-ci' as const, config };
            if (typeof variable.value === 'string') {
              if (target.matches(variable.value)) findings.push({ source: 'gitlab', status: 'match', location, proposal, notes: [] });
            } else if (LIKELY_KEY_NAME.test(variable.key)) {
              findings.push({ source: 'gitlab', status: 'unverifiable', location, proposal, notes: ['a hidden variable: GitLab does not return its value'] });
            }
          }
          if (variables.length < 100) break;
        }
      }
      return findings;
    },
  };
}
