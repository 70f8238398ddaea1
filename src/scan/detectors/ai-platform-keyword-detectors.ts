/**
 * AI/ML platforms whose keys have no unique prefix (hex, UUIDs, JWTs, `sk-` + alphanumerics
 * shared by several vendors): the key must follow the vendor's name within a short gap
 * (`DEEPGRAM_API_KEY=`, `"clarifai": {"pat": "…"}`, `xi-api-key: …`), as in
 * keyword-detectors.ts.
 */
import { caseVariants, keywordAnchored, mixedAlphanumeric, notLabelledHash, randomLookingHex, type Detector } from './detector-spec.js';

const GAP = 60;
const REACH = { before: 4, after: 30 + GAP + 120 };
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** A JWT: header and payload are base64url JSON (`eyJ`), then the signature. */
const JWT = 'eyJ[A-Za-z0-9_-]{10,200}\\.eyJ[A-Za-z0-9_-]{10,600}\\.[A-Za-z0-9_-]{20,400}';
const JWT_REACH = { before: 4, after: 30 + GAP + 1250 };

function keywords(...words: string[]): string[] {
  return [...new Set(words.flatMap(caseVariants))];
}

const hex = (value: string, before: string): boolean => randomLookingHex(value) && notLabelledHash(value, before);
const uuid = (value: string): boolean => randomLookingHex(value.replace(/-/g, ''));

interface KeywordSpec {
  id: string;
  provider: string;
  description: string;
  words: string[];
  body: string;
  accept: NonNullable<Detector['accept']>;
  reach?: Detector['reach'];
  minEntropy?: number;
  literalPrefix?: number;
}

function keywordDetector(spec: KeywordSpec): Detector {
  return {
    id: spec.id,
    provider: spec.provider,
    description: spec.description,
    anchors: spec.words,
    pattern: keywordAnchored(spec.words, spec.body, GAP),
    reach: spec.reach ?? REACH,
    accept: spec.accept,
    minEntropy: spec.minEntropy,
    literalPrefix: spec.literalPrefix,
  };
}

export const aiPlatformKeywordDetectors: readonly Detector[] = [
  keywordDetector({
    id: 'elevenlabs-legacy-api-key', provider: 'elevenlabs', description: 'ElevenLabs legacy API key (32 hex, next to "elevenlabs" / xi-api-key)',
    words: keywords('elevenlabs', 'eleven_labs', 'xi-api-key', 'xi_api_key'), body: '[0-9a-f]{32}', accept: hex,
  }),
  keywordDetector({
    id: 'deepgram-api-key', provider: 'deepgram', description: 'Deepgram API key (40 hex, next to "deepgram")',
    words: keywords('deepgram'), body: '[0-9a-f]{40}', accept: hex,
  }),
  keywordDetector({
    id: 'assemblyai-api-key', provider: 'assemblyai', description: 'AssemblyAI API key (32 hex, next to "assemblyai")',
    words: keywords('assemblyai', 'assembly_ai', 'AssemblyAI'), body: '[0-9a-f]{32}', accept: hex,
  }),
  keywordDetector({
    id: 'ngc-api-key', provider: 'nvidia', description: 'NVIDIA NGC legacy API key (base64 of id:UUID, next to "ngc")',
    words: keywords('ngc'), body: '[A-Za-z0-9+/]{84}',
    accept: (value) => /^[a-z0-9]{26}:[0-9a-f-]{36}$/.test(Buffer.from(value, 'base64').toString('latin1')),
  }),
  keywordDetector({
    id: 'wandb-api-key', provider: 'wandb', description: 'Weights & Biases API key (40 hex, next to "wandb")',
    words: keywords('wandb', 'WandB'), body: '[0-9a-f]{40}', accept: hex,
  }),
  keywordDetector({
    id: 'braintrust-api-key', provider: 'braintrust', description: 'Braintrust API key (sk- + 48 alphanumeric, next to "braintrust")',
    words: keywords('braintrust'), body: 'sk-[A-Za-z0-9]{44,52}', accept: (value) => mixedAlphanumeric(value.slice(3)), literalPrefix: 3, minEntropy: 4,
  }),
  keywordDetector({
    id: 'clarifai-api-key', provider: 'clarifai', description: 'Clarifai personal access token or key (32 hex, next to "clarifai")',
    words: keywords('clarifai'), body: '[0-9a-f]{32}', accept: hex,
  }),
  keywordDetector({
    id: 'deepai-api-key', provider: 'deepai', description: 'DeepAI API key (UUID, next to "deepai")',
    words: keywords('deepai', 'DeepAI'), body: UUID, accept: uuid,
  }),
  keywordDetector({
    id: 'edenai-api-key', provider: 'edenai', description: 'Eden AI API key (a JWT, next to "edenai")',
    words: keywords('edenai', 'eden_ai', 'EdenAI'), body: JWT, accept: (value) => mixedAlphanumeric(value.split('.')[2] ?? ''), reach: JWT_REACH, minEntropy: 4,
  }),
  keywordDetector({
    id: 'privateai-api-key', provider: 'privateai', description: 'Private AI API key (32 alphanumeric, next to "private_ai" / "privateai")',
    words: keywords('privateai', 'private_ai', 'private-ai', 'PrivateAI'), body: '[A-Za-z0-9]{32}', accept: mixedAlphanumeric, minEntropy: 3.8,
  }),
  keywordDetector({
    id: 'stability-api-key', provider: 'stability', description: 'Stability AI API key (sk- + 48 alphanumeric, next to "stability")',
    words: keywords('stability', 'stabilityai'), body: 'sk-[A-Za-z0-9]{44,52}', accept: (value) => mixedAlphanumeric(value.slice(3)), literalPrefix: 3, minEntropy: 4,
  }),
  keywordDetector({
    id: 'leonardo-api-key', provider: 'leonardo', description: 'Leonardo.Ai API key (UUID, next to "leonardo")',
    words: keywords('leonardo'), body: UUID, accept: uuid,
  }),
  keywordDetector({
    id: 'sambanova-api-key', provider: 'sambanova', description: 'SambaNova Cloud API key (UUID, next to "sambanova")',
    words: keywords('sambanova', 'SambaNova'), body: UUID, accept: uuid,
  }),
  keywordDetector({
    id: 'hyperbolic-api-key', provider: 'hyperbolic', description: 'Hyperbolic API key (a JWT, next to "hyperbolic")',
    words: keywords('hyperbolic'), body: JWT, accept: (value) => mixedAlphanumeric(value.split('.')[2] ?? ''), reach: JWT_REACH, minEntropy: 4,
  }),
  keywordDetector({
    id: 'novita-api-key', provider: 'novita', description: 'Novita AI API key (sk_ + base64url, next to "novita")',
    words: keywords('novita'), body: 'sk_[A-Za-z0-9_-]{40,50}', accept: (value) => mixedAlphanumeric(value.slice(3)), literalPrefix: 3, minEntropy: 4,
  }),
  keywordDetector({
    id: 'nebius-api-key', provider: 'nebius', description: 'Nebius AI Studio API key (a JWT, next to "nebius")',
    words: keywords('nebius'), body: JWT, accept: (value) => mixedAlphanumeric(value.split('.')[2] ?? ''), reach: JWT_REACH, minEntropy: 4,
  }),
  keywordDetector({
    id: 'lepton-api-key', provider: 'lepton', description: 'Lepton AI API token (32 alphanumeric, next to "lepton")',
    words: keywords('lepton'), body: '[A-Za-z0-9]{32}', accept: mixedAlphanumeric, minEntropy: 3.8,
  }),
];
