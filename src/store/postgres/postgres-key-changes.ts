/**
 * `watchKeyChanges` on PostgreSQL: LISTEN on `rekey_key_change` (sent by the `versions`
 * stage trigger of migration 2, and by anyone who wants instances to re-read keys). One
 * dedicated connection per watch; when it drops, it reconnects with backoff and reports a
 * change, since notifications may have been missed meanwhile.
 */
import type { KeyChangeHandler, KeyChangeWatch, KeyChangeWatchOptions } from '../store.js';

export const KEY_CHANGE_CHANNEL = 'rekey_key_change';

export async function listenForKeyChanges(url: string, onChange: KeyChangeHandler, options: KeyChangeWatchOptions = {}): Promise<KeyChangeWatch> {
  const { default: pg } = await import('pg');
  let closed = false;
  let client: InstanceType<typeof pg.Client> | undefined;
  let backoff = 250;

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === KEY_CHANGE_CHANNEL) onChange(message.payload === '' ? undefined : message.payload);
    });
    next.on('error', () => {
      void reconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${KEY_CHANGE_CHANNEL}`);
    client = next;
    backoff = 250;
  }

  let reconnecting = false;
  async function reconnect(): Promise<void> {
    if (closed || reconnecting) return;
    reconnecting = true;
    const old = client;
    client = undefined;
    await old?.end().catch(() => undefined);
    while (!closed) {
      await new Promise((resolve) => setTimeout(resolve, backoff));
      try {
        await connect();
        onChange(undefined);
        break;
      } catch (error) {
        options.onError?.(`key-change listener could not reconnect (${(error as Error).name})`);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
    reconnecting = false;
  }

  await connect();
  return {
    async close() {
      closed = true;
      await client?.end().catch(() => undefined);
    },
  };
}
