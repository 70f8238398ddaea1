/**
 * Upstream error answers pass through here before they reach the client: a provider's
 * "Incorrect API key provided: sk-proj-****abcd" tells an application (which holds only a
 * virtual token) which real key the proxy injected. Every key the scanner's detectors know,
 * every masked key hint (`prefix-****tail`) and the injected key itself are replaced.
 */
import type { SecretValue } from '../core/secret-value.js';
import { redact } from '../scan/redact.js';

const REPLACEMENT = '[key redacted by rekey proxy]';

/** A provider's masked key: a key-like prefix, three or more asterisks or dots, and a tail. */
const MASKED_KEY = /\b[A-Za-z][A-Za-z0-9]{0,15}(?:-[A-Za-z0-9]{1,20}){0,3}-[A-Za-z0-9_-]{0,8}(?:\*{3,}|\.{3,}|…)[A-Za-z0-9_-]{0,16}/g;

/** Error bodies larger than this are not relayed (a provider's error is a few hundred bytes). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export function redactUpstreamText(text: string, injected: readonly SecretValue[]): string {
  let output = text;
  for (const key of injected) {
    const value = key.reveal();
    if (value.length >= 8) output = output.split(value).join(REPLACEMENT);
  }
  output = redact(output, { replacement: () => REPLACEMENT });
  return output.replace(MASKED_KEY, REPLACEMENT);
}

/** Headers an upstream sends that say which organisation, project or session the real key is. */
export const DROPPED_UPSTREAM_HEADERS = ['openai-organization', 'openai-project', 'anthropic-organization-id', 'set-cookie'];
