/**
 * Passkeys of the Store contract (issue 11 item 4; tables of migration 13, columns of
 * migration 19): each person's WebAuthn credentials and the single-use challenges of the
 * ceremonies. The store keeps rows; `src/team/webauthn-service.ts` owns what they mean.
 *
 * Invariants both dialects enforce:
 * - a credential id is registered once (a second registration is a ConflictError);
 * - a challenge is consumed at most once, only before it expires and only as the kind it
 *   was made for (`consumeWebauthnChallenge` is one conditional UPDATE: of two racing
 *   consumers exactly one gets the row);
 * - a person's passkeys go with their user row (ON DELETE CASCADE).
 */
export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

export interface PasskeyRecord {
  /** The WebAuthn credential id, base64url. */
  id: string;
  userId: string;
  /** A label the person chose (or the default one). */
  name: string;
  /** The COSE public key. */
  publicKey: Buffer;
  /** The last signature counter accepted. */
  counter: number;
  transports: string[];
  /** The relying party id the credential was registered for. */
  rpId: string;
  deviceType: PasskeyDeviceType;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Set when an assertion came with a counter that did not move forward (a cloned authenticator?). */
  flaggedAt: Date | null;
  flagReason: string | null;
  mac: string | null;
}

export type PasskeyPatch = Partial<Pick<PasskeyRecord, 'name' | 'counter' | 'backedUp' | 'lastUsedAt' | 'flaggedAt' | 'flagReason' | 'mac'>>;

export interface WebauthnChallenge {
  /** The caller's handle for the challenge (a hash of it: the store never sees the challenge). */
  id: string;
  kind: string;
  /** Whom it is for (a user id), when known. */
  subject: string | null;
  /** Opaque to the store. */
  data: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface PasskeyStore {
  /** ConflictError when the credential id is already registered; NotFoundError for an unknown user. */
  addPasskey(passkey: PasskeyRecord): Promise<PasskeyRecord>;
  getPasskey(id: string): Promise<PasskeyRecord | undefined>;
  /** Oldest first. */
  listPasskeys(userId: string): Promise<PasskeyRecord[]>;
  /** NotFoundError when absent. */
  updatePasskey(id: string, patch: PasskeyPatch): Promise<PasskeyRecord>;
  /** NotFoundError when absent. */
  removePasskey(id: string): Promise<void>;
  /** Removes every passkey of the user; returns how many. */
  removeUserPasskeys(userId: string): Promise<number>;

  createWebauthnChallenge(challenge: WebauthnChallenge): Promise<void>;
  /** Marks the challenge used and returns it, once; undefined when unknown, used, expired or of another kind. */
  consumeWebauthnChallenge(id: string, kind: string, at: Date): Promise<WebauthnChallenge | undefined>;
  /** Deletes challenges that expired before `before`; returns how many. */
  purgeWebauthnChallenges(before: Date): Promise<number>;
}
