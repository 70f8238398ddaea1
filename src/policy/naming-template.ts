/**
 * Naming templates such as `{yy}-{mm}-{customer}-{project}-{env}`: `{yy}` two digits,
 * `{yyyy}` four, `{mm}` a month 01–12; a placeholder whose value is known (the provider,
 * the environment, a tag of that name) must equal it; any other matches one word of
 * lower-case letters and digits (`{service}` may also hold `.`, `_` and `-`).
 */
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function templatePattern(template: string, known: Readonly<Record<string, string>>): RegExp {
  let pattern = '';
  let last = 0;
  for (const match of template.matchAll(/\{([a-z][a-z0-9_]*)\}/g)) {
    pattern += escape(template.slice(last, match.index));
    const name = match[1] ?? '';
    const value = known[name];
    if (name === 'yy') pattern += '\\d{2}';
    else if (name === 'yyyy') pattern += '\\d{4}';
    else if (name === 'mm') pattern += '(?:0[1-9]|1[0-2])';
    else if (value !== undefined) pattern += escape(value);
    else if (name === 'service') pattern += '[a-z0-9][a-z0-9._-]*';
    else pattern += '[a-z0-9]+';
    last = (match.index ?? 0) + match[0].length;
  }
  pattern += escape(template.slice(last));
  return new RegExp(`^${pattern}$`);
}

export function templateMatches(template: string, name: string, known: Readonly<Record<string, string>>): boolean {
  if (name.length > 256) return false;
  return templatePattern(template, known).test(name);
}
