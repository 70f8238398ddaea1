/**
 * The approval-waiting condition (team mode's two-person approval): one alert per pending,
 * unexpired request, naming what is asked, by whom, and until when; it resolves once the
 * request is approved, denied, executed or has expired. Value-free: the request's
 * parameters are not shown, only its capability, target, requester and reason.
 */
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';
import type { AlertEvent } from './alert-types.js';

export async function approvalWaitingEvents(deps: { store: Pick<Store, 'listApprovalRequests'>; clock: Clock }): Promise<AlertEvent[]> {
  const now = deps.clock.now();
  const events: AlertEvent[] = [];
  for (const request of await deps.store.listApprovalRequests({ status: 'pending' })) {
    if (request.expiresAt <= now) continue;
    const target = request.target.kind === 'credential' ? request.target.name : 'the install';
    events.push({
      kind: 'approval-waiting',
      severity: 'info',
      key: `approval-waiting:${request.id}`,
      title: `Approval waiting: ${request.capability} on ${target}, asked by ${request.requester}`,
      summary: `${request.requester} asks to ${request.capability} on ${target} under policy ${request.policy}; ${request.approvalsRequired} approval(s) needed before ${request.expiresAt.toISOString()}. Review the plan with \`rekey approvals show ${request.id}\`, then approve or deny it.`,
      credential: request.target.kind === 'credential' ? request.target.name : null,
      environment: request.target.kind === 'credential' ? request.target.environment : null,
      facts: [
        { label: 'request', value: request.id },
        { label: 'asked by', value: request.requester },
        ...(request.reason === null ? [] : [{ label: 'reason', value: request.reason }]),
        { label: 'expires', value: request.expiresAt.toISOString() },
      ],
      since: request.createdAt,
    });
  }
  return events;
}
