/**
 * Turns consumer entries into sinks and reload actions through the registries, for the
 * rotation engine (`SinkResolver` in src/rotation/rotation-deps.ts).
 */
import { ConfigError } from '../core/errors.js';
import type { Consumer } from '../core/types.js';
import { createExecReload, type ExecReload } from './exec-reload.js';
import { createSink } from './sink-registry.js';
import type { Sink } from './sink-spec.js';

export const RELOAD_KINDS = ['exec'] as const;
export type ReloadKind = (typeof RELOAD_KINDS)[number];

const reloadRegistry: Record<ReloadKind, (config: Record<string, unknown>, consumerName: string) => ExecReload> = {
  exec: createExecReload,
};

export function createReload(consumer: Pick<Consumer, 'name' | 'reload'>): ExecReload | null {
  if (consumer.reload === null) return null;
  const kind = consumer.reload['kind'];
  if (typeof kind !== 'string' || !(RELOAD_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(`consumer ${consumer.name}: unknown reload kind "${String(kind).slice(0, 40)}"`, { hint: `known kinds: ${RELOAD_KINDS.join(', ')}` });
  }
  return reloadRegistry[kind as ReloadKind](consumer.reload, consumer.name);
}

export function createSinkResolver(options: { fingerprintSalt: Buffer }): {
  create(consumer: Consumer): Promise<Sink>;
  reload(consumer: Consumer): ExecReload | null;
} {
  return {
    create: (consumer) => createSink(consumer, options.fingerprintSalt),
    reload: (consumer) => createReload(consumer),
  };
}
