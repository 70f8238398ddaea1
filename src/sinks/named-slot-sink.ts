/**
 * The shape shared by stores that keep one value per name (Vercel and Netlify environment
 * variables, Fly.io secrets, Doppler secrets, 1Password fields, n8n credentials): the main
 * slot is the configured name, a versioned slot a sibling name (`NAME_V7`, or the store's
 * own spelling). Each adapter gives read/write/remove of one name; this turns them into a
 * Sink with idempotent writes and a dry-run plan. A write-only store (Fly.io, n8n) gives
 * `exists` instead of `read`: it is reported as unverifiable and plans from names alone.
 */
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import type { Sink, SinkKind, SinkSlot } from './sink-spec.js';
import { planChanges } from './sink-support.js';

export interface NamedSlotStore {
  /** The value under `name`, undefined when absent; throws SinkError when it cannot tell. */
  read?(name: string): Promise<string | undefined>;
  /** For write-only stores: whether `name` exists (values are never returned). */
  exists?(name: string): Promise<boolean>;
  write(name: string, value: SecretValue): Promise<void>;
  /** Removing an absent name succeeds. */
  remove(name: string): Promise<void>;
}

export function createNamedSlotSink(options: {
  kind: SinkKind;
  label: string;
  fingerprintSalt: Buffer;
  nameOf(slot: SinkSlot): string;
  /** `OPENAI_API_KEY in Vercel project web (production, preview)` */
  targetOf(name: string): string;
  store: NamedSlotStore;
}): Sink {
  const { store, fingerprintSalt: salt } = options;
  const read = store.read;
  const sink: Sink = {
    kind: options.kind,
    describe: () => options.label,
    async write(slot, value) {
      const name = options.nameOf(slot);
      if (read !== undefined) {
        const held = await read(name);
        if (held !== undefined && fingerprint(salt, held) === fingerprint(salt, value.reveal())) return;
      }
      await store.write(name, value);
    },
    remove: (slot) => store.remove(options.nameOf(slot)),
    plan: (changes) =>
      planChanges(changes, {
        fingerprintSalt: salt,
        targetOf: (slot) => options.targetOf(options.nameOf(slot)),
        current: async (slot) => {
          const name = options.nameOf(slot);
          if (read !== undefined) {
            const held = await read(name);
            return held === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, held), hint: redactHint(held) };
          }
          if (store.exists === undefined) return { state: 'unknown' };
          return (await store.exists(name)) ? { state: 'present', fingerprint: null, hint: '(set, value not readable)' } : { state: 'absent' };
        },
      }),
  };
  if (read !== undefined) {
    sink.readFingerprint = async (slot) => {
      const held = await read(options.nameOf(slot));
      return held === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, held) };
    };
  }
  return sink;
}
