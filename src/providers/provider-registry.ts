/**
 * Every provider kind mapped to a lazy factory (STYLE.md §5): a new kind in
 * `PROVIDER_KINDS` fails to compile until it is registered here, and a command that
 * needs one adapter loads only that adapter.
 */
import type { ProviderKind } from '../core/types.js';
import type { AnthropicProviderOptions } from './anthropic/anthropic-provider.js';
import type { AzureOpenAIProviderOptions } from './azure-openai/azure-openai-provider.js';
import type { ManualProviderOptions } from './manual/manual-provider.js';
import type { OpenAIProviderOptions } from './openai/openai-provider.js';
import type { OpenRouterProviderOptions } from './openrouter/openrouter-provider.js';
import type { ProviderV1 } from './provider-spec.js';

export interface ProviderSettingsByKind {
  openai: OpenAIProviderOptions;
  anthropic: AnthropicProviderOptions;
  openrouter: OpenRouterProviderOptions;
  'azure-openai': AzureOpenAIProviderOptions;
  manual: ManualProviderOptions;
}

export type ProviderFactory<Kind extends ProviderKind> = (settings: ProviderSettingsByKind[Kind]) => Promise<ProviderV1>;

export const providerFactories: { readonly [Kind in ProviderKind]: ProviderFactory<Kind> } = {
  openai: async (settings) => (await import('./openai/openai-provider.js')).createOpenAIProvider(settings),
  anthropic: async (settings) => (await import('./anthropic/anthropic-provider.js')).createAnthropicProvider(settings),
  openrouter: async (settings) => (await import('./openrouter/openrouter-provider.js')).createOpenRouterProvider(settings),
  'azure-openai': async (settings) => (await import('./azure-openai/azure-openai-provider.js')).createAzureOpenAIProvider(settings),
  manual: async (settings) => (await import('./manual/manual-provider.js')).createManualProvider(settings),
};

/** Builds the adapter for `kind`; settings missing here are read from the environment. */
export function createProvider<Kind extends ProviderKind>(kind: Kind, settings: ProviderSettingsByKind[Kind]): Promise<ProviderV1> {
  const factory = providerFactories[kind] as ProviderFactory<Kind>;
  return factory(settings);
}
