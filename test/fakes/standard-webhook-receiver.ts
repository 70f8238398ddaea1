/**
 * A receiver that does what Standard Webhooks tells receivers to do: verify the
 * signature over the raw body and the timestamp window (401 otherwise), and treat a
 * `webhook-id` it has already processed as a duplicate: answered 200 so the sender stops,
 * but not processed again. Tests read `accepted` (processed once) and `deliveries` (all).
 */
import { createReplayGuard, verifyStandardWebhook } from '../../src/alerts/channels/standard-webhooks.js';
import { startFakeHttpServer, type FakeHttpServer, type FakeRequest } from './fake-http-server.js';

export interface StandardWebhookReceiver {
  server: FakeHttpServer;
  url: string;
  secret: string;
  /** Verified, first-time deliveries: what the receiving application acts on. */
  accepted: Array<{ id: string; payload: Record<string, unknown>; raw: string }>;
  /** Every verified delivery, duplicates included. */
  deliveries: Array<{ id: string; payload: Record<string, unknown>; raw: string; duplicate: boolean }>;
  rejected: Array<{ reason: string }>;
  close(): Promise<void>;
}

export async function startStandardWebhookReceiver(secret: string, options: { now?: () => Date } = {}): Promise<StandardWebhookReceiver> {
  const accepted: StandardWebhookReceiver['accepted'] = [];
  const deliveries: StandardWebhookReceiver['deliveries'] = [];
  const rejected: StandardWebhookReceiver['rejected'] = [];
  const guard = createReplayGuard();
  const server = await startFakeHttpServer((request: FakeRequest) => {
    const raw = request.body.toString('utf8');
    const verdict = verifyStandardWebhook(secret, request.headers, raw, { ...(options.now === undefined ? {} : { now: options.now() }), replayGuard: guard });
    if (!verdict.ok && verdict.reason !== 'replay') {
      rejected.push({ reason: verdict.reason });
      return { status: 401, body: { error: verdict.reason } };
    }
    const id = String(request.headers['webhook-id']);
    const payload = JSON.parse(raw) as Record<string, unknown>;
    const duplicate = !verdict.ok;
    deliveries.push({ id, payload, raw, duplicate });
    if (!duplicate) accepted.push({ id, payload, raw });
    return { status: 200, body: { ok: true, duplicate } };
  });
  return { server, url: `${server.url}/hooks/rekey`, secret, accepted, deliveries, rejected, close: () => server.close() };
}
