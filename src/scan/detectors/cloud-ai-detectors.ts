/**
 * Cloud-platform credentials used for LLMs: Google service-account JSON (Vertex AI /
 * Gemini), Amazon Bedrock API keys (long-term `ABSK…` and short-term `bedrock-api-key-…`)
 * and AWS access keys named for Bedrock, and Azure AI Foundry / Cognitive Services keys
 * paired with their resource host.
 */
import { caseVariants, keywordAnchored, mixedAlphanumeric, notLabelledHash, randomLookingHex, type Detector } from './detector-spec.js';

/** base64("BedrockAPIKey-"): every long-term Bedrock API key starts `ABSK` + this. */
const BEDROCK_LONG_TERM = 'ABSKQmVkcm9ja0FQSUtleS';
/** base64("bedrock.amazonaws.com"): a short-term key is a presigned URL, base64-encoded. */
const BEDROCK_SHORT_TERM = 'bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t';

/** Base64 keys: the engine's boundaries with `+`, `/` and `=` as key characters too. */
const B64_START = String.raw`(?:(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2})|(?<![A-Za-z0-9_+/%\\-]))(?<!%[0-9A-Fa-f])`;
const B64_END = '(?![A-Za-z0-9+/=_-])';

const bedrockWords = caseVariants('bedrock');
const azureKeyWords = ['key', 'Key', 'KEY'];

/**
 * `"type": "service_account"`, then (within the fields Google writes before it) the
 * `private_key` string. The key reported is the PEM as written in the JSON, `\n` escapes
 * included.
 */
const SERVICE_ACCOUNT = new RegExp(
  String.raw`service_account"[\s\S]{0,600}?"private_key"\s*:\s*"(?<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----[A-Za-z0-9+/=\\\s]{200,4000}?-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)"`,
  'gd',
);

export const cloudAiDetectors: readonly Detector[] = [
  {
    id: 'google-service-account-key',
    provider: 'google-service-account',
    description: 'Google Cloud service-account private key (Vertex AI / Gemini), in its JSON key file',
    anchors: ['service_account"'],
    pattern: SERVICE_ACCOUNT,
    reach: { before: 4, after: 4800 },
    accept: (value) => value.includes('MII'),
    minEntropy: 4,
  },
  {
    id: 'aws-bedrock-api-key',
    provider: 'aws-bedrock',
    description: 'Amazon Bedrock long-term API key (ABSK…)',
    anchors: [BEDROCK_LONG_TERM],
    pattern: new RegExp(`${B64_START}(?<secret>${BEDROCK_LONG_TERM}[A-Za-z0-9+/]{40,300}={0,2})${B64_END}`, 'gd'),
    reach: { before: 4, after: 340 },
    literalPrefix: BEDROCK_LONG_TERM.length,
    minEntropy: 4,
  },
  {
    id: 'aws-bedrock-short-term-key',
    provider: 'aws-bedrock',
    description: 'Amazon Bedrock short-term API key (bedrock-api-key-…, a presigned URL)',
    anchors: [BEDROCK_SHORT_TERM],
    pattern: new RegExp(`${B64_START}(?<secret>${BEDROCK_SHORT_TERM}[A-Za-z0-9+/]{100,4000}={0,2})${B64_END}`, 'gd'),
    reach: { before: 4, after: 4100 },
    literalPrefix: BEDROCK_SHORT_TERM.length,
    minEntropy: 4,
  },
  {
    id: 'aws-bedrock-access-key',
    provider: 'aws-bedrock',
    description: 'AWS access key id named for Bedrock (AKIA…/ASIA… next to "bedrock")',
    anchors: bedrockWords,
    pattern: keywordAnchored(bedrockWords, '(?:AKIA|ASIA)[A-Z2-7]{16}', 60),
    reach: { before: 4, after: 180 },
    accept: (value) => /[2-7]/.test(value.slice(4)) && /[A-Z]/.test(value.slice(4)),
    literalPrefix: 4,
    minEntropy: 2.5,
  },
  {
    id: 'azure-ai-foundry-key',
    provider: 'azure-ai-foundry',
    description: 'Azure AI Foundry / Cognitive Services key (32 hex or 84 alphanumeric after a "key" name, paired with its *.services.ai.azure.com or *.cognitiveservices.azure.com host)',
    anchors: ['.services.ai.azure.com', '.cognitiveservices.azure.com'],
    pattern: keywordAnchored(azureKeyWords, '[0-9a-fA-F]{32}|[A-Za-z0-9]{84}', 30),
    reach: { before: 1500, after: 1500 },
    accept: (value, before) => (value.length === 32 ? randomLookingHex(value) && notLabelledHash(value, before) : mixedAlphanumeric(value)),
    companion: { name: 'host', pattern: /[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})\.(?:services\.ai|cognitiveservices)\.azure\.com/g },
  },
];
