/**
 * Settings resolution shared by the adapters: an explicit argument wins, then an
 * environment variable, else an error that names both (like vercel/ai `loadApiKey`).
 */
import { ConfigError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface LoadSettingOptions<Value> {
  value: Value | undefined;
  /** The option name, as the factory's caller writes it: `adminKey`. */
  settingName: string;
  environmentVariable: string;
  /** What the setting is, for the error: `OpenAI admin key`. */
  description: string;
  environment?: Environment | undefined;
}

export function loadSecretSetting(options: LoadSettingOptions<SecretValue>): SecretValue {
  if (options.value !== undefined) {
    if (!(options.value instanceof SecretValue)) {
      throw new ConfigError(`${options.description}: the \`${options.settingName}\` option must be a SecretValue`, {
        hint: 'wrap the key with new SecretValue(value) so that it cannot be printed by accident',
      });
    }
    return options.value;
  }
  const fromEnvironment = (options.environment ?? process.env)[options.environmentVariable];
  if (fromEnvironment !== undefined && fromEnvironment.trim().length > 0) return new SecretValue(fromEnvironment.trim());
  throw new ConfigError(
    `${options.description} is missing: pass the \`${options.settingName}\` option or set the ${options.environmentVariable} environment variable`,
  );
}

export function loadStringSetting(options: LoadSettingOptions<string> & { defaultValue?: string | undefined }): string {
  if (options.value !== undefined && options.value.length > 0) return options.value;
  const fromEnvironment = (options.environment ?? process.env)[options.environmentVariable];
  if (fromEnvironment !== undefined && fromEnvironment.trim().length > 0) return fromEnvironment.trim();
  if (options.defaultValue !== undefined) return options.defaultValue;
  throw new ConfigError(
    `${options.description} is missing: pass the \`${options.settingName}\` option or set the ${options.environmentVariable} environment variable`,
  );
}

/** A base URL without a trailing slash; http(s) only. */
export function loadBaseUrl(options: LoadSettingOptions<string> & { defaultValue: string }): string {
  const value = loadStringSetting(options);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${options.description} is not a valid URL (the \`${options.settingName}\` option or ${options.environmentVariable})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${options.description} must be an http or https URL`);
  }
  if (url.username || url.password || url.search) {
    throw new ConfigError(`${options.description} must not carry credentials or a query string; keys go in headers`);
  }
  return url.toString().replace(/\/+$/, '');
}
