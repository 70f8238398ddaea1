/**
 * Planted secrets and the byte patterns a leak of one would leave: the value itself, 24
 * characters from its start, middle or end (a truncated or cut-off leak), lower- and upper-case hex,
 * and base64 / base64url at each of the three byte alignments (so the value is found even
 * inside a longer base64-encoded blob). Haystacks are raw bytes: output, files, argv.
 */
import { randomBytes } from 'node:crypto';

export interface PlantedSecret {
  label: string;
  /** A key value, or raw key bytes (a master key). */
  value: string | Buffer;
}

export interface Haystack {
  source: string;
  bytes: Buffer;
  /** Labels of secrets this haystack is expected to hold (a master key in its own key file). */
  allowed?: readonly string[];
}

export interface Leak {
  source: string;
  secret: string;
  form: string;
}

/** Letters and digits only, so a value survives every encoding and reads as one token. */
export function randomAlphanumeric(length: number): string {
  let text = '';
  while (text.length < length) text += randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return text.slice(0, length);
}

/** An OpenAI-shaped project key the scanner recognises, with a tag to tell plants apart. */
export function plantedOpenAIKey(tag: string): string {
  return `sk-proj-${tag}${randomAlphanumeric(40)}T3BlbkFJ${randomAlphanumeric(40)}`;
}

function alignedBase64(bytes: Buffer, alphabet: 'base64' | 'base64url'): Array<[string, Buffer]> {
  const forms: Array<[string, Buffer]> = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(alphabet).replace(/=+$/, '');
    // Drop the characters that also encode the padding bytes or the unknown byte after the value.
    const core = encoded.slice(4, -4);
    if (core.length >= 16) forms.push([`${alphabet}@${offset}`, Buffer.from(core)]);
  }
  return forms;
}

export function leakForms(secret: PlantedSecret): Array<[string, Buffer]> {
  const bytes = typeof secret.value === 'string' ? Buffer.from(secret.value, 'utf8') : secret.value;
  const forms: Array<[string, Buffer]> = [
    ['raw', bytes],
    ['hex', Buffer.from(bytes.toString('hex'))],
    ['HEX', Buffer.from(bytes.toString('hex').toUpperCase())],
    ...alignedBase64(bytes, 'base64'),
    ...alignedBase64(bytes, 'base64url'),
  ];
  if (typeof secret.value === 'string' && secret.value.length >= 48) {
    // The hint shows a known prefix and the last four characters: a truncated or cut-off
    // leak still shows 24 characters from the start, the middle or the end.
    forms.push(['head', Buffer.from(secret.value.slice(0, 24))]);
    forms.push(['middle', Buffer.from(secret.value.slice(12, 36))]);
    forms.push(['tail', Buffer.from(secret.value.slice(-24))]);
  }
  return forms;
}

export function findLeaks(haystacks: readonly Haystack[], secrets: readonly PlantedSecret[]): Leak[] {
  const leaks: Leak[] = [];
  const prepared = secrets.map((secret) => ({ secret, forms: leakForms(secret) }));
  for (const haystack of haystacks) {
    for (const { secret, forms } of prepared) {
      if (haystack.allowed?.includes(secret.label) === true) continue;
      const hit = forms.find(([, needle]) => haystack.bytes.includes(needle));
      if (hit !== undefined) leaks.push({ source: haystack.source, secret: secret.label, form: hit[0] });
    }
  }
  return leaks;
}
