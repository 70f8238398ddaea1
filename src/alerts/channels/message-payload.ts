/** The JSON shape of a message for webhook receivers and PagerDuty's custom_details. */
import { messageFacts, messageHeadline, type AlertMessage } from '../alert-types.js';

export function messagePayload(message: AlertMessage): Record<string, unknown> {
  return {
    id: message.id,
    action: message.action,
    alert: message.alertKey,
    kind: message.event.kind,
    severity: message.event.severity,
    title: message.event.title,
    headline: messageHeadline(message),
    summary: message.event.summary,
    credential: message.event.credential,
    environment: message.event.environment,
    since: message.event.since.toISOString(),
    firstSeen: message.firstSeen.toISOString(),
    occurrences: message.occurrences,
    facts: messageFacts(message),
    ...(message.by === undefined ? {} : { by: message.by }),
  };
}
