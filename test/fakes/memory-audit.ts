/** An audit recorder that keeps events in memory, typed against the engine's AuditRecorder. */
import type { AuditRecorder } from '../../src/rotation/rotation-deps.js';

export type RecordedAuditEvent = Parameters<AuditRecorder['record']>[0];

export function createMemoryAudit(): AuditRecorder & { events: RecordedAuditEvent[]; names(): string[] } {
  const events: RecordedAuditEvent[] = [];
  return {
    events,
    names: () => events.map((event) => event.event),
    async record(input) {
      if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/.test(input.event)) throw new Error(`bad audit event name ${input.event}`);
      events.push(JSON.parse(JSON.stringify(input)) as RecordedAuditEvent);
      return input;
    },
  };
}
