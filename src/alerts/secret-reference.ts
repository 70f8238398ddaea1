/**
 * Channel secrets (a Slack or Teams URL, a PagerDuty routing key, a webhook signing
 * secret, an SMTP password) are never written into the configuration in clear: the
 * configuration holds a reference, resolved when a message is sent.
 *
 * - `env:NAME` — the environment variable NAME of the process that delivers;
 * - `vault:<credential>` — the current version of a credential in rekey's own vault
 *   (add it with `rekey credential add alerts/slack --provider manual --read-value`).
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';

const REFERENCE = /^(env:[A-Za-z_][A-Za-z0-9_]*|vault:[A-Za-z0-9][A-Za-z0-9._/-]*)$/;

export const secretReferenceSchema = z
  .string()
  .regex(REFERENCE, 'must be a secret reference (env:NAME or vault:<credential>), never the secret itself');

export type SecretReference = z.infer<typeof secretReferenceSchema>;

export interface SecretResolver {
  resolve(reference: SecretReference, where: string): Promise<SecretValue>;
}

export interface SecretResolverOptions {
  environment: Readonly<Record<string, string | undefined>>;
  /** The current value of a vault credential; absent when no vault is open (then `vault:` refs fail clearly). */
  vaultCurrent?: ((credentialName: string) => Promise<SecretValue | undefined>) | undefined;
}

export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  return {
    async resolve(reference, where) {
      const separator = reference.indexOf(':');
      const scheme = reference.slice(0, separator);
      const name = reference.slice(separator + 1);
      if (scheme === 'env') {
        const value = options.environment[name];
        if (value === undefined || value === '') throw new ConfigError(`${where}: the environment variable ${name} is not set`, { hint: `export ${name}=… in the process that delivers alerts` });
        return new SecretValue(value);
      }
      if (scheme === 'vault') {
        if (options.vaultCurrent === undefined) throw new ConfigError(`${where}: ${reference} needs the vault, which this process has not opened`);
        const value = await options.vaultCurrent(name);
        if (value === undefined) throw new ConfigError(`${where}: ${reference}: the vault credential has no current version`, { hint: `rekey credential add ${name} --provider manual --read-value` });
        return value;
      }
      throw new ConfigError(`${where}: "${scheme}" is not a secret reference scheme (env: or vault:)`);
    },
  };
}
