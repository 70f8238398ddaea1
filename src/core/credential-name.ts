import { UsageError } from './errors.js';

/**
 * Credential names are stable paths such as `openai/ticketing/prod`: two to five
 * segments of lower-case letters, digits, `.`, `_` and `-`, each starting with a letter
 * or digit, at most 128 characters.
 */
const SEGMENT = /^[a-z0-9][a-z0-9._-]{0,47}$/;

export function credentialNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 128) return 'it is longer than 128 characters';
  const segments = name.split('/');
  if (segments.length < 2 || segments.length > 5) return 'it needs 2 to 5 segments separated by "/", e.g. openai/ticketing/prod';
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      return `segment "${segment}" must start with a-z or 0-9 and hold only a-z, 0-9, ".", "_" or "-"`;
    }
  }
  return undefined;
}

export function assertCredentialName(name: string): string {
  const problem = credentialNameProblem(name);
  if (problem !== undefined) {
    throw new UsageError(`invalid credential name "${name.slice(0, 140)}": ${problem}`, {
      hint: 'names look like <provider>/<service>/<environment>, e.g. openai/ticketing/prod',
    });
  }
  return name;
}
