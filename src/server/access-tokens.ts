/**
 * Access tokens: what an application holds instead of a provider key.
 * - `read` tokens let `rekey serve` hand the named credentials' keys to an SDK;
 * - `proxy` tokens (virtual keys) let `rekey proxy` call the provider on the app's behalf.
 *
 * A token reads `rk_<kind>_<id>_<secret>`: the id finds the row, the secret (32 random
 * bytes) is never stored — only SHA-256 of the whole token, compared in constant time.
 * A high-entropy token needs no slow hash. Tokens are revocable and never logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';

export const ACCESS_TOKEN_KINDS = ['read', 'proxy'] as const;
export type AccessTokenKind = (typeof ACCESS_TOKEN_KINDS)[number];

export interface AccessToken {
  id: string;
  kind: AccessTokenKind;
  /** The application's name, unique among live tokens; it names the consumer in usage reports. */
  name: string;
  /** Credential names this token may use. */
  credentials: string[];
  /** Proxy tokens: models this token may call (empty: whatever the credential allows). */
  allowedModels: string[];
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
}

export interface NewAccessToken {
  kind: AccessTokenKind;
  name: string;
  credentials: string[];
  allowedModels: string[];
  createdBy: string;
}

export interface AccessTokenStore {
  /** ConflictError when a live token already has this name. */
  insert(token: Omit<AccessToken, 'revokedAt'>, hash: Buffer): Promise<AccessToken>;
  findWithHash(id: string): Promise<{ token: AccessToken; hash: Buffer } | undefined>;
  list(filter?: { kind?: AccessTokenKind; includeRevoked?: boolean }): Promise<AccessToken[]>;
  /** Revokes the live token with this id or name; NotFoundError when there is none. */
  revoke(idOrName: string, at: Date): Promise<AccessToken>;
}

const TOKEN_PATTERN = /^rk_(read|proxy)_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function hashAccessToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function looksLikeAccessToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/** Creates a token; the returned `secret` is shown once and never stored. */
export async function issueAccessToken(
  tokens: AccessTokenStore,
  input: NewAccessToken,
  now: Date,
): Promise<{ token: AccessToken; secret: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(input.name)) {
    throw new UsageError(`token name "${input.name}" must be 1-100 letters, digits, ".", "_", "/" or "-"`);
  }
  if (input.credentials.length === 0) throw new UsageError('a token needs at least one credential');
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = `rk_${input.kind}_${id}_${randomBytes(32).toString('base64url')}`;
  const token = await tokens.insert(
    {
      id,
      kind: input.kind,
      name: input.name,
      credentials: [...new Set(input.credentials)],
      allowedModels: [...new Set(input.allowedModels)],
      createdAt: now,
      createdBy: input.createdBy,
    },
    hashAccessToken(secret),
  );
  return { token, secret };
}

/**
 * The live token that `presented` is, or undefined. The hash comparison is constant
 * time; an unknown id costs one comparison against a dummy so both paths look alike.
 */
export async function verifyAccessToken(tokens: AccessTokenStore, presented: string, kind: AccessTokenKind): Promise<AccessToken | undefined> {
  const match = TOKEN_PATTERN.exec(presented);
  if (match === null || match[1] !== kind || match[2] === undefined) return undefined;
  const found = await tokens.findWithHash(match[2]);
  const actual = hashAccessToken(presented);
  const expected = found?.hash ?? DUMMY_HASH;
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!equal || found === undefined || found.token.revokedAt !== null || found.token.kind !== kind) return undefined;
  return found.token;
}

const DUMMY_HASH = hashAccessToken('rk_read_000000000000_' + 'A'.repeat(43));

/** Tokens in memory, for tests and single-process demos. */
export function createMemoryAccessTokenStore(): AccessTokenStore {
  const rows = new Map<string, { token: AccessToken; hash: Buffer }>();
  return {
    async insert(token, hash) {
      for (const row of rows.values()) {
        if (row.token.name === token.name && row.token.kind === token.kind && row.token.revokedAt === null) {
          throw new ConflictError(`a live ${token.kind} token named ${token.name} already exists`);
        }
      }
      const stored: AccessToken = { ...token, revokedAt: null };
      rows.set(token.id, { token: stored, hash: Buffer.from(hash) });
      return { ...stored };
    },
    async findWithHash(id) {
      const row = rows.get(id);
      return row === undefined ? undefined : { token: { ...row.token }, hash: row.hash };
    },
    async list(filter = {}) {
      return [...rows.values()]
        .map((row) => ({ ...row.token }))
        .filter((token) => (filter.kind === undefined || token.kind === filter.kind) && (filter.includeRevoked === true || token.revokedAt === null));
    },
    async revoke(idOrName, at) {
      const live = [...rows.values()].filter((candidate) => candidate.token.revokedAt === null && (candidate.token.id === idOrName || candidate.token.name === idOrName));
      const row = live[0];
      if (row === undefined) throw new NotFoundError(`no live token with id or name ${idOrName}`);
      if (live.length > 1) throw new ConflictError(`several live tokens are named ${idOrName}; revoke by id`);
      row.token.revokedAt = at;
      return { ...row.token };
    },
  };
}
