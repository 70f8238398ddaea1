/**
 * A webhook receiver that does what the docs tell receivers to do: verify
 * `X-Rekey-Signature` over the raw body with the shared secret and the timestamp window,
 * answer 401 otherwise, and keep what it was told (slot → fingerprint) so tests can read
 * back what arrived at a write-only sink.
 */
import { createWebhookVerifier } from '../../src/sinks/webhook-signature.js';
import { startFakeHttpServer, type FakeHttpServer } from './fake-http-server.js';

export interface WebhookReceiverFake {
  server: FakeHttpServer;
  url: string;
  secret: string;
  /** Accepted (signature-verified) payloads, in order. */
  events: Array<Record<string, unknown>>;
  rejected: number;
  /** slot label (`main`, `v2`) → fingerprint the receiver now holds. */
  held: Map<string, string>;
  close(): Promise<void>;
}

export async function startWebhookReceiverFake(
  secret = 'whsec-test-secret-0123456789abcdef',
  tls?: { key: string; cert: string },
): Promise<WebhookReceiverFake> {
  const events: Array<Record<string, unknown>> = [];
  const held = new Map<string, string>();
  let rejected = 0;
  const verifier = createWebhookVerifier({ secret });
  const server = await startFakeHttpServer((request) => {
    const body = request.body.toString('utf8');
    const signature = request.headers['x-rekey-signature'];
    const timestamp = request.headers['x-rekey-timestamp'];
    const delivery = request.headers['x-rekey-delivery'];
    const text = (value: string | string[] | undefined): string | undefined => (typeof value === 'string' ? value : undefined);
    const { ok } = verifier.verify({ signature: text(signature), timestamp: text(timestamp), delivery: text(delivery) }, body);
    if (!ok) {
      rejected += 1;
      return { status: 401, body: { error: 'bad signature' } };
    }
    const payload = JSON.parse(body) as Record<string, unknown>;
    events.push(payload);
    const slot = String(payload['slot']);
    if (payload['event'] === 'key-delivered') held.set(slot, String(payload['fingerprint']));
    if (payload['event'] === 'key-removed') held.delete(slot);
    return { status: 204 };
  }, tls === undefined ? {} : { tls });
  return {
    server,
    url: `${server.url}/hooks/rekey`,
    secret,
    events,
    get rejected() {
      return rejected;
    },
    held,
    close: () => server.close(),
  };
}
