/**
 * Canonical JSON: object keys sorted, no whitespace, Dates as ISO-8601 UTC strings, and
 * otherwise exactly what JSON.stringify keeps (undefined dropped, non-finite numbers as
 * null). Parsing it back and canonicalising again yields the same text, so a hash or MAC
 * over it can be recomputed from a stored row (PostgreSQL JSONB reorders keys freely).
 * Used by the audit chain and the row MACs.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalPart(value);
  if (text === undefined) throw new TypeError('cannot serialise an undefined value');
  return text;
}

function canonicalPart(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('cannot serialise a bigint in an audit event');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  const object = value as { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return canonicalPart(object.toJSON());
  if (Array.isArray(value)) return `[${value.map((item) => canonicalPart(item) ?? 'null').join(',')}]`;
  const entries: string[] = [];
  for (const key of Object.keys(value as object).sort()) {
    const part = canonicalPart((value as Record<string, unknown>)[key]);
    if (part !== undefined) entries.push(`${JSON.stringify(key)}:${part}`);
  }
  return `{${entries.join(',')}}`;
}

