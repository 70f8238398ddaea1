/**
 * Detectors for key formats with a unique literal prefix or marker. Shapes come from
 * the providers' published formats (DESIGN §2, reference provider-apis §3); lengths are
 * ranges around the known length so a format that grows a little is still found.
 */
import {
  bounded,
  mixedAlphanumeric,
  mixedCase,
  notFiller,
  randomLookingHex,
  type Detector,
} from './detector-spec.js';

const BODY = '[A-Za-z0-9_-]';
/** Every modern OpenAI key embeds `T3BlbkFJ` (base64 of "OpenAI") between two random runs. */
const OPENAI_MARKED = `${BODY}{20,200}T3BlbkFJ${BODY}{20,200}`;
/** Anchor on the marker; the key starts up to ~260 characters before it. */
const OPENAI_REACH = { before: 280, after: 220 };

function lettersAndDigits(value: string): boolean {
  return /[A-Za-z]/.test(value) && /[0-9]/.test(value) && notFiller(value);
}

export const prefixDetectors: readonly Detector[] = [
  {
    id: 'openai-project-key',
    provider: 'openai',
    description: 'OpenAI project API key (sk-proj-)',
    anchors: ['T3BlbkFJ'],
    pattern: bounded(`sk-proj-${OPENAI_MARKED}`),
    reach: OPENAI_REACH,
    accept: notFiller,
  },
  {
    id: 'openai-service-account-key',
    provider: 'openai',
    description: 'OpenAI service-account API key (sk-svcacct-)',
    anchors: ['T3BlbkFJ'],
    pattern: bounded(`sk-(?:svcacct|service)-${OPENAI_MARKED}`),
    reach: OPENAI_REACH,
    accept: notFiller,
  },
  {
    id: 'openai-admin-key',
    provider: 'openai',
    description: 'OpenAI admin API key (sk-admin-)',
    anchors: ['T3BlbkFJ'],
    pattern: bounded(`sk-admin-${OPENAI_MARKED}`),
    reach: OPENAI_REACH,
    accept: notFiller,
  },
  {
    id: 'openai-api-key',
    provider: 'openai',
    description: 'OpenAI user or legacy API key (sk-…T3BlbkFJ…)',
    anchors: ['T3BlbkFJ'],
    pattern: bounded(`sk-(?!(?:proj|svcacct|service|admin|ant|or|None)-)${OPENAI_MARKED}`),
    reach: OPENAI_REACH,
    accept: notFiller,
  },
  {
    id: 'openai-none-key',
    provider: 'openai',
    description: 'OpenAI key without a project (sk-None-)',
    anchors: ['sk-None-'],
    pattern: bounded(`sk-None-${BODY}{32,200}`),
    reach: { before: 4, after: 220 },
    accept: (value) => mixedAlphanumeric(value.slice(8)),
  },
  {
    id: 'anthropic-api-key',
    provider: 'anthropic',
    description: 'Anthropic API key (sk-ant-api03-)',
    anchors: ['sk-ant-'],
    pattern: bounded(`sk-ant-api\\d{2}-${BODY}{80,140}AA`),
    reach: { before: 4, after: 170 },
    accept: notFiller,
  },
  {
    id: 'anthropic-admin-key',
    provider: 'anthropic',
    description: 'Anthropic Admin API key (sk-ant-admin01-)',
    anchors: ['sk-ant-'],
    pattern: bounded(`sk-ant-admin\\d{2}-${BODY}{80,140}AA`),
    reach: { before: 4, after: 170 },
    accept: notFiller,
  },
  {
    id: 'google-api-key',
    provider: 'google',
    description: 'Google API key, used by Gemini / AI Studio (AIza)',
    anchors: ['AIza'],
    pattern: bounded(`AIza${BODY}{33,37}`),
    reach: { before: 4, after: 48 },
    accept: (value) => mixedCase(value.slice(4)) && notFiller(value),
  },
  {
    id: 'groq-api-key',
    provider: 'groq',
    description: 'Groq API key (gsk_)',
    anchors: ['gsk_'],
    pattern: bounded('gsk_[A-Za-z0-9]{44,60}'),
    reach: { before: 4, after: 72 },
    accept: (value) => mixedAlphanumeric(value.slice(4)),
  },
  {
    id: 'openrouter-api-key',
    provider: 'openrouter',
    description: 'OpenRouter API key (sk-or-v1-)',
    anchors: ['sk-or-'],
    pattern: bounded('sk-or-v\\d-[0-9a-f]{56,72}'),
    reach: { before: 4, after: 90 },
    accept: (value) => randomLookingHex(value.slice(9)),
  },
  {
    id: 'xai-api-key',
    provider: 'xai',
    description: 'xAI (Grok) API key (xai-)',
    anchors: ['xai-'],
    pattern: bounded('xai-[A-Za-z0-9_]{60,100}'),
    reach: { before: 4, after: 112 },
    accept: (value) => mixedAlphanumeric(value.slice(4)),
  },
  {
    id: 'huggingface-access-token',
    provider: 'huggingface',
    description: 'Hugging Face user access token (hf_)',
    anchors: ['hf_'],
    pattern: bounded('hf_[A-Za-z0-9]{30,40}'),
    reach: { before: 4, after: 52 },
    accept: (value) => mixedCase(value.slice(3)) && notFiller(value),
  },
  {
    id: 'huggingface-org-token',
    provider: 'huggingface',
    description: 'Hugging Face organisation API token (api_org_)',
    anchors: ['api_org_'],
    pattern: bounded('api_org_[A-Za-z0-9]{30,40}'),
    reach: { before: 4, after: 56 },
    accept: (value) => mixedCase(value.slice(8)) && notFiller(value),
  },
  {
    id: 'replicate-api-token',
    provider: 'replicate',
    description: 'Replicate API token (r8_)',
    anchors: ['r8_'],
    pattern: bounded(`r8_${BODY}{32,42}`),
    reach: { before: 4, after: 56 },
    accept: (value) => mixedCase(value.slice(3)) && notFiller(value),
  },
  {
    id: 'perplexity-api-key',
    provider: 'perplexity',
    description: 'Perplexity API key (pplx-)',
    anchors: ['pplx-'],
    pattern: bounded('pplx-[A-Za-z0-9]{40,56}'),
    reach: { before: 4, after: 72 },
    accept: (value) => lettersAndDigits(value.slice(5)),
  },
  {
    id: 'langsmith-api-key',
    provider: 'langsmith',
    description: 'LangSmith API key (lsv2_pt_ / lsv2_sk_)',
    anchors: ['lsv2_'],
    pattern: bounded('lsv2_(?:pt|sk)_[0-9a-f]{28,36}_[0-9a-f]{8,12}'),
    reach: { before: 4, after: 72 },
    accept: (value) => randomLookingHex(value.slice(8)),
  },
];
