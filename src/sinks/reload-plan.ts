/**
 * Reload once per app, after all of its sinks hold the new key. When one rotation delivers
 * to several consumers that feed the same app (an env file, a Vault path and a Kubernetes
 * Secret, say), restarting the app after each one would restart it several times, and the
 * first restart could read a sink that still holds the old key. So:
 *
 *   const groups = planReloads(consumers);        // group by reload.app (else consumer name)
 *   ... deliver to every consumer, noting which were written and verified ...
 *   const outcomes = await runReloads(groups, { delivered, createReload, request });
 *
 * A group runs each distinct reload action once, and only when every consumer in it was
 * delivered; otherwise it is `held` and names the consumers still missing the key.
 */
import { isRekeyError } from '../core/errors.js';
import type { ExecReload, ReloadRequest } from './exec-reload.js';

export interface ReloadConsumer {
  name: string;
  reload: Record<string, unknown> | null;
}

export interface ReloadGroup {
  /** `reload.app`, or the consumer's name when the config names no app. */
  app: string;
  /** Every consumer that feeds this app (those that must hold the key before the reload). */
  consumers: string[];
  /** Distinct reload actions for the app, each with the consumer it was configured on. */
  actions: Array<{ consumer: string; reload: Record<string, unknown> }>;
}

export type ReloadOutcome =
  | { app: string; status: 'reloaded'; actions: string[]; durationMs: number }
  | { app: string; status: 'held'; waitingFor: string[] }
  | { app: string; status: 'failed'; action: string; reason: string; isRetryable: boolean };

/** A stable key for a reload config, so the same action configured twice runs once. */
function actionKey(reload: Record<string, unknown>): string {
  const { app: _app, healthCheck: _healthCheck, ...rest } = reload;
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).sort(([left], [right]) => left.localeCompare(right)).map(([key, inner]) => [key, sorted(inner)]))
        : value;
  return JSON.stringify(sorted(rest));
}

export function appOf(consumer: ReloadConsumer): string {
  const app = consumer.reload?.['app'];
  return typeof app === 'string' && app !== '' ? app : consumer.name;
}

/**
 * Group consumers by app. A consumer joins its app's group through `reload.app`; a reload
 * config with `app` and no `kind` (`{ app: "ticketing" }`) means "feeds that app, has no
 * action of its own", so the app waits for it too. Groups without any action are dropped.
 */
export function planReloads(consumers: ReloadConsumer[]): ReloadGroup[] {
  const groups = new Map<string, ReloadGroup & { seen: Set<string> }>();
  for (const consumer of consumers) {
    const app = appOf(consumer);
    let group = groups.get(app);
    if (group === undefined) groups.set(app, (group = { app, consumers: [], actions: [], seen: new Set() }));
    if (!group.consumers.includes(consumer.name)) group.consumers.push(consumer.name);
    if (consumer.reload === null || consumer.reload['kind'] === undefined) continue;
    const key = actionKey(consumer.reload);
    if (!group.seen.has(key)) {
      group.seen.add(key);
      group.actions.push({ consumer: consumer.name, reload: consumer.reload });
    }
  }
  return [...groups.values()].filter((group) => group.actions.length > 0).map(({ seen: _seen, ...group }) => group);
}

export interface RunReloadsOptions {
  /** Whether this consumer's sinks were written and verified with the new key. */
  delivered(consumerName: string): boolean;
  createReload(consumerName: string, reload: Record<string, unknown>): Promise<ExecReload> | ExecReload;
  request: Omit<ReloadRequest, 'consumerName'>;
}

export async function runReloads(groups: ReloadGroup[], options: RunReloadsOptions): Promise<ReloadOutcome[]> {
  const outcomes: ReloadOutcome[] = [];
  for (const group of groups) {
    const waitingFor = group.consumers.filter((consumer) => !options.delivered(consumer));
    if (waitingFor.length > 0) {
      outcomes.push({ app: group.app, status: 'held', waitingFor });
      continue;
    }
    const started = Date.now();
    const done: string[] = [];
    let failure: ReloadOutcome | undefined;
    for (const action of group.actions) {
      let label = String(action.reload['kind']);
      try {
        const reload = await options.createReload(action.consumer, action.reload);
        label = reload.describe();
        await reload.run({ ...options.request, consumerName: action.consumer });
        done.push(label);
      } catch (error) {
        failure = {
          app: group.app,
          status: 'failed',
          action: label,
          reason: isRekeyError(error) ? error.message : 'the reload action failed',
          isRetryable: isRekeyError(error) && error.isRetryable,
        };
        break;
      }
    }
    outcomes.push(failure ?? { app: group.app, status: 'reloaded', actions: done, durationMs: Date.now() - started });
  }
  return outcomes;
}
