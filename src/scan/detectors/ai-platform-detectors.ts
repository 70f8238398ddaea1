/**
 * AI/ML platforms whose keys carry a unique literal prefix: speech (ElevenLabs), GPU
 * inference (NVIDIA, Cerebras), vector stores (Pinecone), embeddings (Voyage, Jina),
 * video (Runway, Luma), LLM observability (Langfuse) and coding assistants (Sourcegraph
 * Cody). Shapes come from the vendors' documented key formats; lengths are ranges around
 * the documented length. Formats the vendor documents only loosely are marked
 * UNCONFIRMED in bench/scan/README.md and test/scan/README.md.
 */
import { bounded, mixedAlphanumeric, notFiller, randomLookingHex, type Detector } from './detector-spec.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

function reachFor(prefixLength: number, maxBody: number): Detector['reach'] {
  return { before: 4, after: prefixLength + maxBody + 8 };
}

export const aiPlatformDetectors: readonly Detector[] = [
  {
    id: 'elevenlabs-api-key',
    provider: 'elevenlabs',
    description: 'ElevenLabs API key (sk_ + 48 hex)',
    anchors: ['sk_'],
    pattern: bounded('sk_[0-9a-f]{48}'),
    reach: reachFor(3, 48),
    accept: (value) => randomLookingHex(value.slice(3)),
    literalPrefix: 3,
  },
  {
    id: 'nvidia-api-key',
    provider: 'nvidia',
    description: 'NVIDIA API / NGC personal key (nvapi-)',
    anchors: ['nvapi-'],
    pattern: bounded('nvapi-[A-Za-z0-9_-]{60,70}'),
    reach: reachFor(6, 70),
    accept: (value) => mixedAlphanumeric(value.slice(6)),
    literalPrefix: 6,
    minEntropy: 4,
  },
  {
    id: 'cerebras-api-key',
    provider: 'cerebras',
    description: 'Cerebras API key (csk-)',
    anchors: ['csk-'],
    pattern: bounded('csk-[a-z0-9]{44,52}'),
    reach: reachFor(4, 52),
    accept: (value) => /[a-z]/.test(value.slice(4)) && /[0-9]/.test(value) && notFiller(value),
    literalPrefix: 4,
    minEntropy: 3.8,
  },
  {
    id: 'pinecone-api-key',
    provider: 'pinecone',
    description: 'Pinecone API key (pcsk_)',
    anchors: ['pcsk_'],
    pattern: bounded('pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,80}'),
    reach: reachFor(5, 90),
    accept: (value) => mixedAlphanumeric(value.slice(5)),
    literalPrefix: 5,
    minEntropy: 4,
  },
  {
    id: 'voyage-api-key',
    provider: 'voyage',
    description: 'Voyage AI API key (pa-)',
    anchors: ['pa-'],
    pattern: bounded('pa-[A-Za-z0-9_-]{40,48}'),
    reach: reachFor(3, 48),
    accept: (value) => mixedAlphanumeric(value.slice(3)),
    literalPrefix: 3,
    minEntropy: 4,
  },
  {
    id: 'jina-api-key',
    provider: 'jina',
    description: 'Jina AI API key (jina_)',
    anchors: ['jina_'],
    pattern: bounded('jina_[A-Za-z0-9_-]{56,66}'),
    reach: reachFor(5, 66),
    accept: (value) => mixedAlphanumeric(value.slice(5)),
    literalPrefix: 5,
    minEntropy: 4,
  },
  {
    id: 'runway-api-key',
    provider: 'runway',
    description: 'Runway API key (key_ + 128 hex)',
    anchors: ['key_'],
    pattern: bounded('key_[0-9a-f]{128}'),
    reach: reachFor(4, 128),
    accept: (value) => randomLookingHex(value.slice(4)),
    literalPrefix: 4,
  },
  {
    id: 'luma-api-key',
    provider: 'luma',
    description: 'Luma AI API key (luma- + two UUIDs)',
    anchors: ['luma-'],
    pattern: bounded(`luma-${UUID}-${UUID}`),
    reach: reachFor(5, 73),
    accept: (value) => randomLookingHex(value.slice(5).replace(/-/g, '')),
    literalPrefix: 5,
  },
  {
    id: 'langfuse-secret-key',
    provider: 'langfuse',
    description: 'Langfuse secret key (sk-lf- + UUID)',
    anchors: ['sk-lf-'],
    pattern: bounded(`sk-lf-${UUID}`),
    reach: reachFor(6, 36),
    accept: (value) => randomLookingHex(value.slice(6).replace(/-/g, '')),
    literalPrefix: 6,
  },
  {
    id: 'sourcegraph-access-token',
    provider: 'sourcegraph',
    description: 'Sourcegraph / Cody access token (sgp_)',
    anchors: ['sgp_'],
    pattern: bounded('sgp_(?:[0-9a-f]{16}_|local_)?[0-9a-f]{40}'),
    reach: reachFor(4, 63),
    accept: (value) => randomLookingHex(value.slice(-40)),
    literalPrefix: 4,
  },
];
