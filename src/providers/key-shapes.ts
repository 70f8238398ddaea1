/**
 * What a provider's API key looks like, checked when a value is stored by hand
 * (`rekey credential add --read-value`): a value pasted from the wrong console (an
 * `sk-ant-` key for `--provider openai`) is refused before a rotation trips over it.
 * `--force` stores a custom format anyway. Each rule names the shape it expects.
 */
import type { ProviderKind } from '../core/types.js';

interface Shape {
  /** The prefix or form, for the message. */
  expected: string;
  test(value: string): boolean;
}

/** Prefixes of other vendors' keys, so that the message can say whose key it looks like. */
const FOREIGN: Array<{ prefix: string; owner: string }> = [
  { prefix: 'sk-ant-admin', owner: 'an Anthropic admin key' },
  { prefix: 'sk-ant-', owner: 'an Anthropic key' },
  { prefix: 'sk-or-', owner: 'an OpenRouter key' },
  { prefix: 'sk-admin-', owner: 'an OpenAI admin key (rekey rotates project and service-account keys with it; it is not the key to store)' },
  { prefix: 'sk-proj-', owner: 'an OpenAI project key' },
  { prefix: 'sk-svcacct-', owner: 'an OpenAI service-account key' },
  { prefix: 'gsk_', owner: 'a Groq key' },
  { prefix: 'AIza', owner: 'a Google API key' },
  { prefix: 'xai-', owner: 'an xAI key' },
  { prefix: 'hf_', owner: 'a Hugging Face token' },
];

const BODY = /^[A-Za-z0-9_-]+$/;

const SHAPES: { readonly [Kind in ProviderKind]: Shape | undefined } = {
  openai: {
    expected: 'sk-proj-…, sk-svcacct-… or sk-…',
    test: (value) => value.startsWith('sk-') && !/^sk-(ant-|or-|admin-)/.test(value) && value.length >= 20 && BODY.test(value),
  },
  anthropic: { expected: 'sk-ant-api…', test: (value) => /^sk-ant-(?!admin)[A-Za-z0-9_-]{20,}$/.test(value) },
  openrouter: { expected: 'sk-or-v1-…', test: (value) => /^sk-or-[A-Za-z0-9_-]{20,}$/.test(value) },
  'azure-openai': { expected: 'a 32-character hexadecimal or 84-character key', test: (value) => /^[A-Za-z0-9]{32,100}$/.test(value) },
  manual: undefined,
};

/** Undefined when the value fits the provider; else why not (value-free). */
export function keyShapeProblem(provider: ProviderKind, value: string): string | undefined {
  const shape = SHAPES[provider];
  if (shape === undefined || shape.test(value)) return undefined;
  const foreign = FOREIGN.find((entry) => value.startsWith(entry.prefix));
  const looks = foreign === undefined ? 'it does not look like one' : `it looks like ${foreign.owner}`;
  return `the value does not look like a key for --provider ${provider} (${shape.expected}): ${looks}`;
}

/** Scope a provider needs to rotate, with the form each value takes. */
const REQUIRED_SCOPE: { readonly [Kind in ProviderKind]: Array<{ key: string; form: RegExp; example: string; why: string }> } = {
  openai: [{ key: 'project', form: /^proj_[A-Za-z0-9]+$/, example: 'proj_…', why: 'OpenAI keys are minted inside a project' }],
  anthropic: [],
  openrouter: [],
  'azure-openai': [],
  manual: [],
};

/** Problems with a credential's scope for its provider (missing keys, malformed values). */
export function scopeProblems(provider: ProviderKind, scope: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const rule of REQUIRED_SCOPE[provider]) {
    const value = scope[rule.key];
    if (value === undefined || value === '') problems.push(`${provider} needs --scope ${rule.key}=${rule.example}: ${rule.why}`);
    else if (!rule.form.test(value)) problems.push(`scope ${rule.key}="${value.slice(0, 60)}" is not of the form ${rule.example}`);
  }
  return problems;
}
