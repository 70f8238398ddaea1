/** The fixed model catalogues and default limits the emulator serves. */

export interface OpenAIModelEntry {
  id: string;
  created: number;
  ownedBy: string;
  kind: 'chat' | 'embedding';
  /** Default embedding width. */
  dimensions?: number;
  /** Default project rate limits (requests and tokens per minute). */
  requestsPerMinute: number;
  tokensPerMinute: number;
  /** USD per million tokens, for the cost report. */
  inputPricePerMillion: number;
  outputPricePerMillion: number;
}

export const OPENAI_MODELS: readonly OpenAIModelEntry[] = [
  { id: 'gpt-4o', created: 1715367049, ownedBy: 'system', kind: 'chat', requestsPerMinute: 10000, tokensPerMinute: 30000000, inputPricePerMillion: 2.5, outputPricePerMillion: 10 },
  { id: 'gpt-4o-mini', created: 1721172741, ownedBy: 'system', kind: 'chat', requestsPerMinute: 30000, tokensPerMinute: 150000000, inputPricePerMillion: 0.15, outputPricePerMillion: 0.6 },
  { id: 'gpt-4.1', created: 1744316542, ownedBy: 'system', kind: 'chat', requestsPerMinute: 10000, tokensPerMinute: 30000000, inputPricePerMillion: 2, outputPricePerMillion: 8 },
  { id: 'gpt-4.1-mini', created: 1744318173, ownedBy: 'system', kind: 'chat', requestsPerMinute: 30000, tokensPerMinute: 150000000, inputPricePerMillion: 0.4, outputPricePerMillion: 1.6 },
  { id: 'o3-mini', created: 1737146383, ownedBy: 'system', kind: 'chat', requestsPerMinute: 30000, tokensPerMinute: 150000000, inputPricePerMillion: 1.1, outputPricePerMillion: 4.4 },
  { id: 'text-embedding-3-small', created: 1705948997, ownedBy: 'system', kind: 'embedding', dimensions: 1536, requestsPerMinute: 10000, tokensPerMinute: 10000000, inputPricePerMillion: 0.02, outputPricePerMillion: 0 },
  { id: 'text-embedding-3-large', created: 1705953180, ownedBy: 'system', kind: 'embedding', dimensions: 3072, requestsPerMinute: 10000, tokensPerMinute: 10000000, inputPricePerMillion: 0.13, outputPricePerMillion: 0 },
];

export function findOpenAIModel(id: string): OpenAIModelEntry | undefined {
  return OPENAI_MODELS.find((model) => model.id === id);
}

export interface AnthropicModelEntry {
  id: string;
  displayName: string;
  createdAt: string;
  maxInputTokens: number;
  maxTokens: number;
}

/** Newest first, as the real `/v1/models` lists them. */
export const ANTHROPIC_MODELS: readonly AnthropicModelEntry[] = [
  { id: 'claude-opus-4-1-20250805', displayName: 'Claude Opus 4.1', createdAt: '2025-08-05T00:00:00Z', maxInputTokens: 200000, maxTokens: 32000 },
  { id: 'claude-sonnet-4-20250514', displayName: 'Claude Sonnet 4', createdAt: '2025-05-22T00:00:00Z', maxInputTokens: 200000, maxTokens: 64000 },
  { id: 'claude-3-5-haiku-20241022', displayName: 'Claude Haiku 3.5', createdAt: '2024-10-22T00:00:00Z', maxInputTokens: 200000, maxTokens: 8192 },
];

export interface OpenRouterModelEntry {
  id: string;
  name: string;
  created: number;
  contextLength: number;
  promptPrice: string;
  completionPrice: string;
}

export const OPENROUTER_MODELS: readonly OpenRouterModelEntry[] = [
  { id: 'openai/gpt-4o-mini', name: 'OpenAI: GPT-4o-mini', created: 1721260800, contextLength: 128000, promptPrice: '0.00000015', completionPrice: '0.0000006' },
  { id: 'anthropic/claude-sonnet-4', name: 'Anthropic: Claude Sonnet 4', created: 1747930371, contextLength: 200000, promptPrice: '0.000003', completionPrice: '0.000015' },
  { id: 'meta-llama/llama-3.1-8b-instruct', name: 'Meta: Llama 3.1 8B Instruct', created: 1721692800, contextLength: 131072, promptPrice: '0.00000002', completionPrice: '0.00000003' },
];

/** The canned assistant reply every chat/messages endpoint gives (deterministic). */
export function cannedReply(model: string, messageCount: number): string {
  return `This is a deterministic reply from the rekey emulator (model ${model}, ${messageCount} message${messageCount === 1 ? '' : 's'} received).`;
}
