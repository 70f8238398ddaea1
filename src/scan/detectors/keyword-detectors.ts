/**
 * Detectors for providers whose keys have no unique prefix (or a prefix we could not
 * confirm): the key must follow the provider's name within a short gap (`COHERE_API_KEY=`,
 * `"mistral": {"api_key": "…"}`, a YAML block). Azure OpenAI keys are plain 32-digit hex,
 * so they are reported only when paired with an `*.openai.azure.com` host nearby.
 */
import {
  caseVariants,
  keywordAnchored,
  mixedAlphanumeric,
  mixedCase,
  notLabelledHash,
  randomLookingHex,
  type Detector,
} from './detector-spec.js';

/** Keyword, up to 60 characters (may span a line break, for YAML blocks), then the key. */
const GAP = 60;
const KEYWORD_REACH = { before: 4, after: 30 + GAP + 80 };

function keywords(...words: string[]): string[] {
  return [...new Set(words.flatMap(caseVariants))];
}

const deepseekWords = keywords('deepseek', 'DeepSeek');
const cohereWords = keywords('cohere', 'co_api_key');
const mistralWords = keywords('mistral');
const togetherWords = keywords('together');
const fireworksWords = keywords('fireworks');

/** `key`, `KEY`, `Key` inside `api-key`, `AZURE_OPENAI_KEY`, `apiKey`, `key1`. */
const azureKeyWords = ['key', 'Key', 'KEY'];

export const keywordDetectors: readonly Detector[] = [
  {
    id: 'deepseek-api-key',
    provider: 'deepseek',
    description: 'DeepSeek API key (sk- + 32 lower-case letters and digits, next to "deepseek")',
    anchors: deepseekWords,
    pattern: keywordAnchored(deepseekWords, 'sk-[a-z0-9]{30,36}', GAP),
    reach: KEYWORD_REACH,
    accept: (value, before) => /[a-z]/.test(value.slice(3)) && /[0-9]/.test(value) && notLabelledHash(value, before),
    literalPrefix: 3,
  },
  {
    id: 'cohere-api-key',
    provider: 'cohere',
    description: 'Cohere API key (40 alphanumeric, next to "cohere" / CO_API_KEY)',
    anchors: cohereWords,
    pattern: keywordAnchored(cohereWords, '[A-Za-z0-9]{38,42}', GAP),
    reach: KEYWORD_REACH,
    accept: mixedAlphanumeric,
  },
  {
    id: 'mistral-api-key',
    provider: 'mistral',
    description: 'Mistral API key (32 alphanumeric, next to "mistral")',
    anchors: mistralWords,
    pattern: keywordAnchored(mistralWords, '[A-Za-z0-9]{30,34}', GAP),
    reach: KEYWORD_REACH,
    accept: mixedAlphanumeric,
  },
  {
    id: 'together-api-key',
    provider: 'together',
    description: 'Together AI API key (tgp_v1_… or 64 hex, next to "together")',
    anchors: togetherWords,
    pattern: keywordAnchored(togetherWords, 'tgp_v1_[A-Za-z0-9_-]{36,60}|[0-9a-f]{64}', GAP),
    reach: KEYWORD_REACH,
    accept: (value, before) =>
      value.startsWith('tgp_v1_') ? mixedCase(value.slice(7)) : randomLookingHex(value) && notLabelledHash(value, before),
  },
  {
    id: 'fireworks-api-key',
    provider: 'fireworks',
    description: 'Fireworks AI API key (fw_… or 40-56 alphanumeric, next to "fireworks")',
    anchors: fireworksWords,
    pattern: keywordAnchored(fireworksWords, 'fw_[A-Za-z0-9]{16,60}|[A-Za-z0-9]{40,56}', GAP),
    reach: KEYWORD_REACH,
    accept: (value) => mixedAlphanumeric(value.startsWith('fw_') ? value.slice(3) : value),
  },
  {
    id: 'azure-openai-key',
    provider: 'azure-openai',
    description: 'Azure OpenAI key (32 hex after a "key" name, paired with an *.openai.azure.com host)',
    anchors: ['.openai.azure.com'],
    pattern: keywordAnchored(azureKeyWords, '[0-9a-fA-F]{32}', 30),
    reach: { before: 1500, after: 1500 },
    accept: (value, before) => randomLookingHex(value) && notLabelledHash(value, before),
    companion: { name: 'host', pattern: /[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})\.openai\.azure\.com/g },
  },
];
