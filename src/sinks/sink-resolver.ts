/**
 * Turns consumer entries into sinks and reload actions through the registries, for the
 * rotation engine (`SinkResolver` in src/rotation/rotation-deps.ts).
 */
import type { Consumer } from '../core/types.js';
import type { ExecReload } from './exec-reload.js';
import { createReloadAction } from './reload-registry.js';
import { createSink } from './sink-registry.js';
import type { Sink } from './sink-spec.js';

export function createSinkResolver(options: { fingerprintSalt: Buffer; environment?: Readonly<Record<string, string | undefined>> }): {
  create(consumer: Consumer): Promise<Sink>;
  reloadAction(consumerName: string, reload: Record<string, unknown>): Promise<ExecReload>;
} {
  return {
    create: (consumer) => createSink(consumer, options.fingerprintSalt, options.environment),
    reloadAction: (consumerName, reload) => createReloadAction(consumerName, reload, options.environment),
  };
}
