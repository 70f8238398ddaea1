/**
 * Keys from variables the way sinks write them (DESIGN.md §4): `NAME` holds the current
 * key, `NAME_V<n>` the versioned slots (both keys during a rotation's grace). The
 * current key's version is the slot holding the same value; the other slots, newest
 * first, are the fallbacks.
 */
import { SecretValue } from '../core/secret-value.js';
import type { SdkKey } from './sdk-types.js';

export function keysFromVariables(variable: string, read: (name: string) => string | undefined, names: readonly string[]): SdkKey[] {
  const pattern = new RegExp(`^${variable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_V(\\d+)$`);
  const slots: Array<{ version: number; value: string }> = [];
  for (const name of names) {
    const match = pattern.exec(name);
    const value = read(name);
    if (match?.[1] !== undefined && value !== undefined && value !== '') slots.push({ version: Number(match[1]), value });
  }
  slots.sort((left, right) => right.version - left.version);
  const main = read(variable);
  const currentValue = main !== undefined && main !== '' ? main : slots[0]?.value;
  if (currentValue === undefined) return [];
  const currentSlot = slots.find((slot) => slot.value === currentValue);
  const keys: SdkKey[] = [{ version: currentSlot?.version ?? null, stage: 'current', value: new SecretValue(currentValue) }];
  for (const slot of slots) {
    if (slot.value === currentValue) continue;
    keys.push({ version: slot.version, stage: 'previous', value: new SecretValue(slot.value) });
  }
  return keys;
}

/**
 * A small dotenv reader: `NAME=value`, optional `export `, `#` comments, single quotes
 * literal, double quotes with `\n`, `\"` and `\\` escapes. Enough for what sinks write.
 */
export function parseDotenv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(lines[index] ?? '');
    if (match?.[1] === undefined) continue;
    let rest = match[2] ?? '';
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      let body = rest.slice(1);
      let close = closingQuote(body, quote);
      while (close < 0 && index + 1 < lines.length) {
        index += 1;
        body += '\n' + (lines[index] ?? '');
        close = closingQuote(body, quote);
      }
      if (close >= 0) {
        const raw = body.slice(0, close);
        values.set(match[1], quote === "'" ? raw : raw.replace(/\\([nrt"\\$])/g, (_all, escaped: string) => ({ n: '\n', r: '\r', t: '\t' })[escaped] ?? escaped));
        continue;
      }
      rest = match[2] ?? '';
    }
    const comment = /\s+#.*$/.exec(rest);
    values.set(match[1], (comment === null ? rest : rest.slice(0, comment.index)).trim());
  }
  return values;
}

function closingQuote(text: string, quote: string): number {
  for (let index = 0; index < text.length; index += 1) {
    if (text[index] === '\\' && quote === '"') index += 1;
    else if (text[index] === quote) return index;
  }
  return -1;
}
