/**
 * What a sink may read from the environment to reach its target, and over what. A
 * consumer config names a token variable (`tokenEnv`); it never holds the token. Since
 * whoever writes a consumer also chooses the URL the token is sent to, the name is
 * checked:
 *
 *  - rekey's own secrets and the providers' keys are never read by a sink, whatever the
 *    consumer says (`isGuardedSecretVariable`, shared with exec reload's `passEnv`);
 *  - a variable other than the kind's default (`VAULT_TOKEN`, `GITHUB_TOKEN`,
 *    `GITLAB_TOKEN`) is read only when the consumer also lists it in `allowEnv`;
 *  - the token travels only over https, or plain http to a loopback address.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { isLoopbackHost } from '../core/loopback-host.js';
import type { SinkContext } from './sink-spec.js';
import { environmentOf } from './sink-support.js';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const tokenEnvOptions = {
  tokenEnv: z.string().regex(VARIABLE_NAME).optional(),
  /** Variables other than the kind's default this consumer may read. */
  allowEnv: z.array(z.string().regex(VARIABLE_NAME)).max(20).optional(),
};

/** rekey's own secrets (master key, passphrases, database URL, tokens) and the providers' keys. */
const GUARDED = [
  /^REKEY_(?!WEBHOOK_SECRET$)/i,
  /^(OPENAI|ANTHROPIC|CLAUDE|OPENROUTER|AZURE|GEMINI|GOOGLE_AI|MISTRAL|COHERE|GROQ|DEEPSEEK|XAI|TOGETHER|PERPLEXITY|FIREWORKS)_/i,
  /(ADMIN_KEY|MANAGEMENT_KEY|MANAGEMENT_TOKEN|_API_KEY|SECRET_ACCESS_KEY|SESSION_TOKEN|DATABASE_URL|PASSPHRASE|MASTER_KEY)$/i,
];

export function isGuardedSecretVariable(name: string): boolean {
  return GUARDED.some((pattern) => pattern.test(name));
}

export interface TokenVariableOptions {
  tokenEnv?: string | undefined;
  allowEnv?: readonly string[] | undefined;
}

/**
 * Checks the variable a consumer names (at sink creation, before any request) and
 * returns a reader for its value (read at the first request).
 */
export function sinkTokenVariable(
  options: TokenVariableOptions,
  context: SinkContext,
  defaults: { variable: string; label: string },
): { variable: string; read(): string } {
  const variable = options.tokenEnv ?? defaults.variable;
  if (isGuardedSecretVariable(variable)) {
    throw new ConfigError(`consumer ${context.consumerName}: tokenEnv ${variable} names one of rekey's or a provider's own secrets; a sink never sends those`, {
      hint: `give the sink its own token variable (default ${defaults.variable})`,
    });
  }
  if (variable !== defaults.variable && !(options.allowEnv ?? []).includes(variable)) {
    throw new ConfigError(`consumer ${context.consumerName}: tokenEnv ${variable} is not the default ${defaults.variable}; list it in the consumer's allowEnv to let this sink read it`, {
      hint: `--config-json '{"tokenEnv":"${variable}","allowEnv":["${variable}"]}'`,
    });
  }
  return {
    variable,
    read() {
      const value = environmentOf(context)[variable];
      if (value === undefined || value === '') {
        throw new ConfigError(`consumer ${context.consumerName}: the ${defaults.label} token variable ${variable} is not set`, { hint: 'set it, or name another one with tokenEnv' });
      }
      return value;
    },
  };
}

/** Throws unless `url` is https, or http to a loopback host. `where`: "consumer app: address". */
export function requireSecureUrl(url: string, where: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${where} is not a URL`);
  }
  if (parsed.protocol === 'https:') return;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return;
  throw new ConfigError(`${where} must be an https URL (plain http only to a loopback address): a token or key never crosses the network in clear`, {
    hint: `use https://${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`,
  });
}
