/**
 * Generates fake keys of every detected format from a seeded generator, for the labelled
 * corpus test and the benchmark corpus. Nothing here is a real key: the values are drawn
 * at run time and never committed. Each generated key is random in the provider's
 * alphabet, including `-`/`_` at the edges where the format allows them.
 */

export type Random = () => number;

/** mulberry32: small, fast, seeded; good enough for test data. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const BASE64URL = ALNUM + '-_';
const HEX = '0123456789abcdef';

function pick(random: Random, alphabet: string): string {
  return alphabet.charAt(Math.floor(random() * alphabet.length));
}

/**
 * A random string over `alphabet` that contains at least one upper, lower and digit where
 * the alphabet has them (a real random key of 20+ characters almost always does).
 */
function draw(random: Random, alphabet: string, length: number, lastChar?: string): string {
  const characters: string[] = [];
  for (let index = 0; index < length; index += 1) characters.push(pick(random, alphabet));
  const required = [UPPER, LOWER, DIGITS].filter((set) => [...set].every((character) => alphabet.includes(character)));
  required.forEach((set, slot) => {
    characters[slot * 3 + 1] = pick(random, set);
  });
  if (alphabet === HEX && length >= 6) {
    characters[2] = pick(random, 'abcdef');
    characters[4] = pick(random, DIGITS);
  }
  if (lastChar !== undefined) characters[length - 1] = lastChar;
  return characters.join('');
}

/** Ends the body in `-` or `_` one time in three, the edge case `\b` gets wrong. */
function edge(random: Random): string | undefined {
  const roll = random();
  if (roll < 0.17) return '-';
  if (roll < 0.33) return '_';
  return undefined;
}

const MARKER = 'T3BlbkFJ';

export type KeyGenerator = (random: Random) => string;

/** One or more generators per detector id (variants of the format). */
export const keyGenerators: Record<string, readonly KeyGenerator[]> = {
  'openai-project-key': [
    (random) => `sk-proj-${draw(random, BASE64URL, 74)}${MARKER}${draw(random, BASE64URL, 74, edge(random))}`,
    (random) => `sk-proj-${draw(random, BASE64URL, 58)}${MARKER}${draw(random, BASE64URL, 58, edge(random))}`,
    (random) => `sk-proj-${draw(random, ALNUM, 20)}${MARKER}${draw(random, ALNUM, 20)}`,
  ],
  'openai-service-account-key': [
    (random) => `sk-svcacct-${draw(random, BASE64URL, 74)}${MARKER}${draw(random, BASE64URL, 74, edge(random))}`,
    (random) => `sk-svcacct-${draw(random, BASE64URL, 51)}${MARKER}${draw(random, BASE64URL, 51)}`,
  ],
  'openai-admin-key': [
    (random) => `sk-admin-${draw(random, BASE64URL, 58)}${MARKER}${draw(random, BASE64URL, 58, edge(random))}`,
  ],
  'openai-api-key': [
    (random) => `sk-${draw(random, ALNUM, 20)}${MARKER}${draw(random, ALNUM, 20)}`,
    (random) => `sk-ticketbot-${draw(random, BASE64URL, 44)}${MARKER}${draw(random, BASE64URL, 44)}`,
  ],
  'openai-none-key': [(random) => `sk-None-${draw(random, ALNUM, 48)}`],
  'anthropic-api-key': [(random) => `sk-ant-api03-${draw(random, BASE64URL, 93)}AA`],
  'anthropic-admin-key': [(random) => `sk-ant-admin01-${draw(random, BASE64URL, 93)}AA`],
  'google-api-key': [(random) => `AIzaSy${draw(random, BASE64URL, 33, edge(random))}`],
  'groq-api-key': [(random) => `gsk_${draw(random, ALNUM, 52)}`],
  'openrouter-api-key': [(random) => `sk-or-v1-${draw(random, HEX, 64)}`],
  'xai-api-key': [(random) => `xai-${draw(random, ALNUM, 80)}`],
  'huggingface-access-token': [
    (random) => `hf_${draw(random, UPPER + LOWER, 34)}`,
    (random) => `hf_${draw(random, ALNUM, 34)}`,
  ],
  'huggingface-org-token': [(random) => `api_org_${draw(random, UPPER + LOWER, 34)}`],
  'replicate-api-token': [(random) => `r8_${draw(random, ALNUM, 37)}`],
  'perplexity-api-key': [(random) => `pplx-${draw(random, ALNUM, 48)}`],
  'langsmith-api-key': [
    (random) => `lsv2_pt_${draw(random, HEX, 32)}_${draw(random, HEX, 10)}`,
    (random) => `lsv2_sk_${draw(random, HEX, 32)}_${draw(random, HEX, 10)}`,
  ],
  'deepseek-api-key': [(random) => `sk-${draw(random, HEX, 32)}`],
  'cohere-api-key': [(random) => draw(random, ALNUM, 40)],
  'mistral-api-key': [(random) => draw(random, ALNUM, 32)],
  'together-api-key': [
    (random) => draw(random, HEX, 64),
    (random) => `tgp_v1_${draw(random, BASE64URL, 43)}`,
  ],
  'fireworks-api-key': [(random) => `fw_${draw(random, ALNUM, 24)}`, (random) => draw(random, ALNUM, 48)],
  'azure-openai-key': [(random) => draw(random, HEX, 32)],
};

/** A fake key for `detectorId`; `variant` picks among the format's variants (wraps). */
export function fakeKey(detectorId: string, random: Random, variant = 0): string {
  const generators = keyGenerators[detectorId];
  if (generators === undefined || generators.length === 0) throw new Error(`no generator for ${detectorId}`);
  const generator = generators[variant % generators.length];
  if (generator === undefined) throw new Error(`no generator for ${detectorId}`);
  return generator(random);
}

/** Detectors that need their provider's name next to the key (no unique prefix). */
export const keywordOf: Record<string, string> = {
  'deepseek-api-key': 'DEEPSEEK_API_KEY',
  'cohere-api-key': 'COHERE_API_KEY',
  'mistral-api-key': 'MISTRAL_API_KEY',
  'together-api-key': 'TOGETHER_API_KEY',
  'fireworks-api-key': 'FIREWORKS_API_KEY',
  'azure-openai-key': 'AZURE_OPENAI_API_KEY',
};
