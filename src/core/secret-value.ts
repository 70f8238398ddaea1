/**
 * Wraps a key value in memory so that it cannot be printed by accident: `toString`,
 * `toJSON`, template literals and `util.inspect` all show a redacted hint. Only the
 * delivery edge and provider calls call `reveal()`.
 */

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** `sk-proj-…Ab3d`: the recognisable prefix and the last four characters. */
export function redactHint(value: string): string {
  if (value.length <= 12) return '…' + value.slice(-2);
  const prefixMatch = /^(sk-(?:proj|svcacct|admin|ant-api\d\d|ant-admin\d\d|or-v1)-|sk-|[A-Za-z]{2,6}[-_])/.exec(value);
  const prefix = prefixMatch?.[0] ?? '';
  return `${prefix}…${value.slice(-4)}`;
}

export class SecretValue {
  readonly #value: string;
  readonly hint: string;

  constructor(value: string) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError('a secret value must be a non-empty string');
    }
    this.#value = value;
    this.hint = redactHint(value);
  }

  /** The raw value. Call only where the key leaves rekey: a provider call or a sink write. */
  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  equals(other: SecretValue): boolean {
    return other.#value === this.#value;
  }

  toString(): string {
    return `[secret ${this.hint}]`;
  }

  toJSON(): string {
    return `[secret ${this.hint}]`;
  }

  [INSPECT](): string {
    return `SecretValue(${this.hint})`;
  }

  [Symbol.toPrimitive](): string {
    return this.toString();
  }
}
