/**
 * GitLab CI/CD variables sink, at project or group level, through GitLab's REST API
 * (`/api/v4/projects/:id/variables`, `/api/v4/groups/:id/variables`). An existing variable
 * is updated with its value only, so GitLab keeps its masked, protected, raw and
 * environment-scope settings; a new versioned variable copies them from the main one (or
 * from the config). New variables are `raw` so a `$` in a key is never expanded. GitLab
 * returns a variable's value to a maintainer's token, so this sink reads back, except for
 * variables created "masked and hidden", which it reports as an error rather than absent.
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions, type TokenVariableOptions } from './sink-credentials.js';
import { createSinkHttp, type SinkHttp } from './sink-http.js';
import type { ReadableSink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges, slotName } from './sink-support.js';

const common = {
  name: z.string().regex(/^[A-Za-z0-9_]{1,255}$/, 'must be letters, digits and _'),
  /** Environment scope; default `*`. */
  environmentScope: z.string().min(1).max(255).optional(),
  /** Flags for variables rekey creates; existing variables keep theirs. */
  masked: z.boolean().optional(),
  protected: z.boolean().optional(),
  apiUrl: z.url().optional(),
  ...tokenEnvOptions,
};
const gitlabConfigSchema = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('project'), project: z.string().min(1), ...common }).strict(),
  z.object({ scope: z.literal('group'), group: z.string().min(1), ...common }).strict(),
]);

export type GitlabCiSinkConfig = z.input<typeof gitlabConfigSchema>;

export interface GitlabVariable {
  key: string;
  value?: string | null;
  masked?: boolean;
  protected?: boolean;
  hidden?: boolean;
  raw?: boolean;
  environment_scope?: string;
  variable_type?: string;
}

/** GitLab accepts a masked value only if it is 8+ characters from this alphabet. */
const MASKABLE = /^[A-Za-z0-9+/=@:.~_-]{8,}$/;

export function gitlabVariablesPath(config: GitlabCiSinkConfig): string {
  return config.scope === 'project' ? `/api/v4/projects/${encodeURIComponent(config.project)}/variables` : `/api/v4/groups/${encodeURIComponent(config.group)}/variables`;
}

/** Checks the token variable and the URL now; the returned factory reads the token per request. */
export function createGitlabHttp(options: { apiUrl?: string | undefined } & TokenVariableOptions, context: SinkContext, label: string): () => SinkHttp {
  const token = sinkTokenVariable(options, context, { variable: 'GITLAB_TOKEN', label: 'GitLab' });
  const baseUrl = options.apiUrl ?? 'https://gitlab.com';
  requireSecureUrl(baseUrl, `consumer ${context.consumerName}: apiUrl`);
  return () => createSinkHttp({ sink: 'gitlab-ci', label, baseUrl, headers: { 'private-token': token.read() } });
}

export function createGitlabCiSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const options = parseSinkConfig(gitlabConfigSchema, config, context, 'gitlab-ci', 'gitlab-ci options: { scope: "project"|"group", project?: "group/project" | id, group?, name, environmentScope?: "*" }');
  const environmentScope = options.environmentScope ?? '*';
  const where = options.scope === 'project' ? `project ${options.project}` : `group ${options.group}`;
  const label = `GitLab CI variable ${options.name} (${where}, ${environmentScope})`;
  const base = gitlabVariablesPath(options);
  const filter = `filter%5Benvironment_scope%5D=${encodeURIComponent(environmentScope)}`;
  const http = createGitlabHttp(options, context, label);
  const keyFor = (slot: SinkSlot): string => slotName(options.name, slot);

  const load = async (slot: SinkSlot): Promise<GitlabVariable | undefined> => {
    const response = await http().request({ method: 'GET', path: `${base}/${keyFor(slot)}?${filter}`, accept: [404], action: `read ${keyFor(slot)}` });
    return response.status === 404 ? undefined : ((response.body ?? {}) as GitlabVariable);
  };

  const valueOf = (variable: GitlabVariable | undefined, slot: SinkSlot): string | undefined => {
    if (variable === undefined) return undefined;
    if (variable.hidden === true || typeof variable.value !== 'string') {
      throw new SinkError(`${label}: ${keyFor(slot)} is a hidden variable; GitLab does not return its value`, { sink: 'gitlab-ci', isRetryable: false });
    }
    return variable.value === '' ? undefined : variable.value;
  };

  return {
    kind: 'gitlab-ci',
    describe: () => label,

    async write(slot, value: SecretValue) {
      const key = keyFor(slot);
      const existing = await load(slot);
      if (existing !== undefined) {
        if (existing.hidden !== true && existing.value === value.reveal()) return;
        // Only the value: GitLab keeps masked, protected, raw, type and description.
        await http().request({ method: 'PUT', path: `${base}/${key}?${filter}`, body: { value: value.reveal() }, action: `update ${key}` });
        return;
      }
      const template = slot === 'main' ? undefined : await load('main');
      const masked = options.masked ?? template?.masked ?? MASKABLE.test(value.reveal());
      if (masked && !MASKABLE.test(value.reveal())) {
        throw new SinkError(`${label}: the key cannot be a masked GitLab variable (8+ characters of A-Z a-z 0-9 + / = @ : . ~ _ -)`, { sink: 'gitlab-ci', isRetryable: false });
      }
      await http().request({
        method: 'POST',
        path: base,
        body: {
          key,
          value: value.reveal(),
          variable_type: 'env_var',
          masked,
          protected: options.protected ?? template?.protected ?? false,
          raw: template?.raw ?? true,
          environment_scope: environmentScope,
        },
        action: `create ${key}`,
      });
    },

    async readFingerprint(slot) {
      const value = valueOf(await load(slot), slot);
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot) {
      await http().request({ method: 'DELETE', path: `${base}/${keyFor(slot)}?${filter}`, accept: [404], action: `delete ${keyFor(slot)}` });
    },

    async plan(changes) {
      return planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${keyFor(slot)} in GitLab ${where} (${environmentScope})`,
        current: async (slot) => {
          const value = valueOf(await load(slot), slot);
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value), hint: redactHint(value) };
        },
      });
    },
  };
}

createGitlabCiSink satisfies SinkFactory;
