/**
 * Randomness for the emulator. Two sources on purpose:
 * - a seeded PRNG (ids, fault decisions) so that a run is reproducible from its seed;
 * - `crypto.randomBytes` for key values, so a value cannot be guessed even by someone who
 *   knows the seed.
 */
import { createHash, randomBytes } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KEY_ALPHABET = ALPHANUMERIC + '_-';
const HEX = '0123456789abcdef';

/** A small, fast, seedable PRNG (mulberry32). Its state is one 32-bit integer. */
export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number;
  /** `length` characters drawn from `alphabet`. */
  string(alphabet: string, length: number): string;
  /** Current internal state, to persist and resume the sequence. */
  state(): number;
}

export function createSeededRandom(seed: number): SeededRandom {
  let current = seed >>> 0;
  const next = (): number => {
    current = (current + 0x6d2b79f5) >>> 0;
    let mixed = current;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    string(alphabet, length) {
      let result = '';
      for (let index = 0; index < length; index += 1) {
        result += alphabet[Math.floor(next() * alphabet.length)];
      }
      return result;
    },
    state: () => current,
  };
}

/** Characters from `alphabet` using the operating system's CSPRNG (rejection sampling, no bias). */
function secureString(alphabet: string, length: number): string {
  let result = '';
  const limit = 256 - (256 % alphabet.length);
  while (result.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= limit) continue;
      result += alphabet[byte % alphabet.length];
      if (result.length === length) break;
    }
  }
  return result;
}

export type KeyFormat =
  | 'openai-project'
  | 'openai-service-account'
  | 'openai-admin'
  | 'anthropic-api'
  | 'anthropic-admin'
  | 'openrouter';

/** A key value in the vendor's real format (lengths as in the public detector rules). */
export function generateKeyValue(format: KeyFormat): string {
  const body = (length: number) => secureString(KEY_ALPHABET, length);
  switch (format) {
    case 'openai-project':
      return `sk-proj-${body(74)}T3BlbkFJ${body(74)}`;
    case 'openai-service-account':
      return `sk-svcacct-${body(74)}T3BlbkFJ${body(74)}`;
    case 'openai-admin':
      return `sk-admin-${body(58)}T3BlbkFJ${body(58)}`;
    case 'anthropic-api':
      return `sk-ant-api03-${body(93)}AA`;
    case 'anthropic-admin':
      return `sk-ant-admin01-${body(93)}AA`;
    case 'openrouter':
      return `sk-or-v1-${secureString(HEX, 64)}`;
  }
}

/** The only thing the emulator keeps of a key value. Keys are long random strings, so a plain hash is enough. */
export function hashKeyValue(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

const KEY_PREFIX = /^(sk-(?:proj|svcacct|admin|ant-api\d\d|ant-admin\d\d|or-v1)-)/;

/** OpenAI style `redacted_value`: the spec shows prefix, `...`, tail (`sk-admin...def`). */
export function redactOpenAI(value: string): string {
  const prefix = KEY_PREFIX.exec(value)?.[1] ?? 'sk-';
  return `${prefix}...${value.slice(-4)}`;
}

/** Anthropic `partial_key_hint`: `sk-ant-api03-R2D...igAA`. */
export function redactAnthropic(value: string): string {
  const prefix = KEY_PREFIX.exec(value)?.[1] ?? '';
  return `${value.slice(0, prefix.length + 3)}...${value.slice(-4)}`;
}

/** OpenRouter `label`: `sk-or-v1-0e6...1c96`. */
export function redactOpenRouter(value: string): string {
  return `${value.slice(0, 'sk-or-v1-'.length + 3)}...${value.slice(-4)}`;
}

/**
 * How the real OpenAI 401 echoes a wrong key: first 8 characters, stars, last 4. A short
 * value is fully masked here (the real API prints it whole, which would echo a secret).
 */
export function maskForAuthError(value: string): string {
  if (value.length <= 16) return '*'.repeat(value.length);
  return value.slice(0, 8) + '*'.repeat(value.length - 12) + value.slice(-4);
}

/** Id generator over the seeded PRNG. */
export interface IdGenerator {
  alphanumeric(length: number): string;
  hex(length: number): string;
  random: SeededRandom;
}

export function createIdGenerator(random: SeededRandom): IdGenerator {
  return {
    alphanumeric: (length) => random.string(ALPHANUMERIC, length),
    hex: (length) => random.string(HEX, length),
    random,
  };
}
