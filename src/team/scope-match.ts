/**
 * Scope matching: does a grant's scope cover a credential? Globs are matched without
 * regular expressions built from user text (no ReDoS): `*` is any run of characters
 * (slashes included), `?` exactly one, everything else literal.
 */
import { SCOPE_FIELDS, type Scope } from '../core/team-types.js';

/** The attributes of a credential that scopes select on. */
export interface ScopeTarget {
  name: string;
  environment: string;
  provider: string;
  ownerTeam: string | null;
}

export function globMatches(pattern: string, text: string): boolean {
  // Iterative wildcard match with one backtrack point: O(pattern × text) at worst.
  let p = 0;
  let t = 0;
  let starAt = -1;
  let starText = 0;
  while (t < text.length) {
    const char = pattern[p];
    if (char === '*') {
      starAt = p++;
      starText = t;
    } else if (char !== undefined && (char === '?' || char === text[t])) {
      p++;
      t++;
    } else if (starAt >= 0) {
      p = starAt + 1;
      t = ++starText;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

const TARGET_FIELD: Record<(typeof SCOPE_FIELDS)[number], (target: ScopeTarget) => string | null> = {
  credentials: (target) => target.name,
  environment: (target) => target.environment,
  provider: (target) => target.provider,
  ownerTeam: (target) => target.ownerTeam,
};

/** True when every field the scope gives matches the target (a target without an owner team matches no ownerTeam glob). */
export function scopeCovers(scope: Scope, target: ScopeTarget): boolean {
  return SCOPE_FIELDS.every((field) => {
    const pattern = scope[field];
    if (pattern === undefined) return true;
    const value = TARGET_FIELD[field](target);
    return value !== null && globMatches(pattern, value);
  });
}

/** A scope with no field set covers everything, install-wide capabilities included. */
export function isUnrestricted(scope: Scope): boolean {
  return SCOPE_FIELDS.every((field) => scope[field] === undefined);
}

export function describeScope(scope: Scope): string {
  const parts = SCOPE_FIELDS.flatMap((field) => (scope[field] === undefined ? [] : [`${field}=${scope[field]}`]));
  return parts.length === 0 ? 'everything' : parts.join(',');
}
