/**
 * A protocol fake of the PagerDuty Events API v2 (`POST /v2/enqueue`), following the
 * documented rules: a 32-character routing key, `event_action` trigger | acknowledge |
 * resolve, a trigger needs `payload.summary`, `payload.source` and a valid
 * `payload.severity`; `dedup_key` (≤ 255) joins events into one incident; answers 202
 * `{status, message, dedup_key}`, 400 on invalid events. It keeps incidents by dedup key
 * so tests see what a responder would: triggered, acknowledged or resolved.
 */
import { randomUUID } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer } from './fake-http-server.js';

export interface PagerdutyIncident {
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  summary: string;
  severity: string;
  /** Every event received for this incident, in order. */
  events: Array<Record<string, unknown>>;
}

export interface PagerdutyEventsFake {
  server: FakeHttpServer;
  url: string;
  routingKey: string;
  incidents: Map<string, PagerdutyIncident>;
  /** Raw accepted events in order. */
  accepted: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

export async function startPagerdutyEventsFake(routingKey = 'R0UT1NGKEY0123456789abcdefABCDEF'): Promise<PagerdutyEventsFake> {
  const incidents = new Map<string, PagerdutyIncident>();
  const accepted: Array<Record<string, unknown>> = [];
  const invalid = (message: string) => ({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: [message] } });
  const server = await startFakeHttpServer((request) => {
    if (request.method !== 'POST' || request.url.pathname !== '/v2/enqueue') return { status: 404, body: { message: 'not found' } };
    let event: Record<string, unknown>;
    try {
      event = jsonBody(request) as Record<string, unknown>;
    } catch {
      return invalid('body is not JSON');
    }
    if (typeof event !== 'object' || event === null) return invalid('body is not an object');
    if (event['routing_key'] !== routingKey) return invalid("'routing_key' is invalid");
    const action = event['event_action'];
    if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve') return invalid("'event_action' is invalid");
    const given = event['dedup_key'];
    if (given !== undefined && (typeof given !== 'string' || given.length > 255)) return invalid("'dedup_key' is invalid");
    if (action !== 'trigger' && given === undefined) return invalid("'dedup_key' is required for acknowledge and resolve");
    const dedupKey = typeof given === 'string' ? given : randomUUID().replace(/-/g, '');
    if (action === 'trigger') {
      const payload = event['payload'] as Record<string, unknown> | undefined;
      if (payload === undefined || typeof payload['summary'] !== 'string' || payload['summary'] === '' || payload['summary'].length > 1024) return invalid("'payload.summary' is invalid");
      if (typeof payload['source'] !== 'string' || payload['source'] === '') return invalid("'payload.source' is missing");
      if (!SEVERITIES.includes(String(payload['severity']))) return invalid("'payload.severity' is invalid");
      const open = incidents.get(dedupKey);
      if (open === undefined || open.status === 'resolved') {
        incidents.set(dedupKey, { dedupKey, status: 'triggered', summary: payload['summary'], severity: String(payload['severity']), events: [event] });
      } else {
        open.events.push(event);
      }
    } else {
      const open = incidents.get(dedupKey);
      // PagerDuty accepts acknowledge/resolve for unknown keys and drops them.
      if (open !== undefined && open.status !== 'resolved') {
        open.status = action === 'acknowledge' ? 'acknowledged' : 'resolved';
        open.events.push(event);
      }
    }
    accepted.push(event);
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  });
  return { server, url: `${server.url}/v2/enqueue`, routingKey, incidents, accepted, close: () => server.close() };
}
