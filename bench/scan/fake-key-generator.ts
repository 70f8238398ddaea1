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

const LOWER_ALNUM = LOWER + DIGITS;

function uuid(random: Random): string {
  const hex = draw(random, HEX, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A signed-looking JWT (HS256 header, random subject and signature). */
function jwt(random: Random): string {
  const header = base64urlJson({ alg: 'HS256', typ: 'JWT' });
  const payload = base64urlJson({ sub: draw(random, ALNUM, 24), iat: 1700000000 + Math.floor(random() * 1e7) });
  return `${header}.${payload}.${draw(random, BASE64URL, 43)}`;
}

/** A PEM private key as Google writes it in a JSON key file: `\n` escapes, 64-character lines. */
function pemInJson(random: Random): string {
  const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' + draw(random, ALNUM + '+/', 1560);
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\\n${lines.join('\\n')}\\n-----END PRIVATE KEY-----\\n`;
}

/** A Bedrock short-term key: base64 of a presigned `CallWithBearerToken` URL. */
function bedrockShortTerm(random: Random): string {
  const url = `bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA${draw(random, UPPER + '234567', 16)}%2F20260101%2Fus-east-1%2Fbedrock%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=43200&X-Amz-Security-Token=${draw(random, ALNUM, 300)}&X-Amz-Signature=${draw(random, HEX, 64)}&X-Amz-SignedHeaders=host&Version=1`;
  return `bedrock-api-key-${Buffer.from(url).toString('base64')}`;
}

Object.assign(keyGenerators, {
  'elevenlabs-api-key': [(random: Random) => `sk_${draw(random, HEX, 48)}`],
  'nvidia-api-key': [(random: Random) => `nvapi-${draw(random, BASE64URL, 64, edge(random))}`],
  'cerebras-api-key': [(random: Random) => `csk-${draw(random, LOWER_ALNUM, 48)}`],
  'pinecone-api-key': [(random: Random) => `pcsk_${draw(random, ALNUM, 6)}_${draw(random, ALNUM, 63)}`],
  'voyage-api-key': [(random: Random) => `pa-${draw(random, BASE64URL, 43, edge(random))}`],
  'jina-api-key': [(random: Random) => `jina_${draw(random, HEX, 32)}${draw(random, BASE64URL, 28)}`],
  'runway-api-key': [(random: Random) => `key_${draw(random, HEX, 128)}`],
  'luma-api-key': [(random: Random) => `luma-${uuid(random)}-${uuid(random)}`],
  'langfuse-secret-key': [(random: Random) => `sk-lf-${uuid(random)}`],
  'sourcegraph-access-token': [
    (random: Random) => `sgp_${draw(random, HEX, 16)}_${draw(random, HEX, 40)}`,
    (random: Random) => `sgp_${draw(random, HEX, 40)}`,
  ],
  'google-service-account-key': [pemInJson],
  'aws-bedrock-api-key': [
    (random: Random) => `ABSK${Buffer.from(`BedrockAPIKey-${draw(random, LOWER_ALNUM, 4)}-at-${draw(random, DIGITS, 12)}:${draw(random, ALNUM + '+/', 40)}`).toString('base64')}`,
  ],
  'aws-bedrock-short-term-key': [bedrockShortTerm],
  'aws-bedrock-access-key': [(random: Random) => `AKIA${draw(random, UPPER + '234567', 15)}${pick(random, '234567')}`],
  'azure-ai-foundry-key': [(random: Random) => draw(random, HEX, 32), (random: Random) => draw(random, ALNUM, 84)],
  'elevenlabs-legacy-api-key': [(random: Random) => draw(random, HEX, 32)],
  'deepgram-api-key': [(random: Random) => draw(random, HEX, 40)],
  'assemblyai-api-key': [(random: Random) => draw(random, HEX, 32)],
  'ngc-api-key': [(random: Random) => Buffer.from(`${draw(random, LOWER_ALNUM, 26)}:${uuid(random)}`).toString('base64')],
  'wandb-api-key': [(random: Random) => draw(random, HEX, 40)],
  'braintrust-api-key': [(random: Random) => `sk-${draw(random, ALNUM, 48)}`],
  'clarifai-api-key': [(random: Random) => draw(random, HEX, 32)],
  'deepai-api-key': [uuid],
  'edenai-api-key': [jwt],
  'privateai-api-key': [(random: Random) => draw(random, ALNUM, 32)],
  'stability-api-key': [(random: Random) => `sk-${draw(random, ALNUM, 48)}`],
  'leonardo-api-key': [uuid],
  'sambanova-api-key': [uuid],
  'hyperbolic-api-key': [jwt],
  'novita-api-key': [(random: Random) => `sk_${draw(random, BASE64URL, 43)}`],
  'nebius-api-key': [jwt],
  'lepton-api-key': [(random: Random) => draw(random, ALNUM, 32)],
});

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
  'aws-bedrock-access-key': 'BEDROCK_AWS_ACCESS_KEY_ID',
  'azure-ai-foundry-key': 'AZURE_AI_FOUNDRY_API_KEY',
  'elevenlabs-legacy-api-key': 'ELEVENLABS_API_KEY',
  'deepgram-api-key': 'DEEPGRAM_API_KEY',
  'assemblyai-api-key': 'ASSEMBLYAI_API_KEY',
  'ngc-api-key': 'NGC_API_KEY',
  'wandb-api-key': 'WANDB_API_KEY',
  'braintrust-api-key': 'BRAINTRUST_API_KEY',
  'clarifai-api-key': 'CLARIFAI_PAT',
  'deepai-api-key': 'DEEPAI_API_KEY',
  'edenai-api-key': 'EDENAI_API_KEY',
  'privateai-api-key': 'PRIVATEAI_API_KEY',
  'stability-api-key': 'STABILITY_API_KEY',
  'leonardo-api-key': 'LEONARDO_API_KEY',
  'sambanova-api-key': 'SAMBANOVA_API_KEY',
  'hyperbolic-api-key': 'HYPERBOLIC_API_KEY',
  'novita-api-key': 'NOVITA_API_KEY',
  'nebius-api-key': 'NEBIUS_API_KEY',
  'lepton-api-key': 'LEPTON_API_TOKEN',
};

/**
 * Formats found only inside their own structure, not after an arbitrary name: the corpus
 * plants them through templates (positives/*.tmpl), not the generic contexts.
 */
export const structuredOnly: ReadonlySet<string> = new Set(['google-service-account-key']);

/** A line that must precede the key for detectors paired with a companion (the resource host). */
export function companionLine(detectorId: string, variant: number): string | undefined {
  if (detectorId === 'azure-openai-key') return `AZURE_OPENAI_ENDPOINT=https://contoso-${variant}.openai.azure.com/`;
  if (detectorId === 'azure-ai-foundry-key') return `AZURE_AI_ENDPOINT=https://contoso-${variant}.services.ai.azure.com/`;
  return undefined;
}
