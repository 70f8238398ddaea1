/** Approval requests: what each would run (the plan, secrets shown as digests), who asked, approve or deny. */
import { ActionButton } from './action.js';
import { enc } from './api.js';
import { shortDate } from './format.js';
import { Problem, useApi } from './load.js';
import { useCan, useWho } from './session.js';

interface Approval {
  id: string;
  policy: string;
  capability: string;
  on: string;
  plan: Record<string, unknown>;
  reason: string | null;
  requester: string;
  approvalsRequired: number;
  status: string;
  createdAt: string;
  expiresAt: string;
  decisions: { approver: string; decision: string; at: string }[];
}

export function Approvals() {
  const list = useApi<{ approvals: Approval[] }>('/v1/approvals');
  const can = useCan();
  const who = useWho();
  const approvals = list.data?.approvals ?? [];
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <Problem text={list.problem} />
      {approvals.length === 0 && list.data !== undefined && <p>No approval requests.</p>}
      {approvals.map((approval) => (
        <article class="card" data-approval={approval.id} aria-label={`Approval ${approval.id}`}>
          <h2>
            {approval.capability} on {approval.on} <span class={`badge approval-${approval.status}`}>{approval.status}</span>
          </h2>
          <p>
            Requested by <strong>{approval.requester}</strong> {shortDate(approval.createdAt)} · expires {shortDate(approval.expiresAt)} · policy {approval.policy} · {approval.decisions.filter((decision) => decision.decision === 'approve').length}/
            {approval.approvalsRequired} approvals
          </p>
          {approval.reason !== null && <p>Reason: {approval.reason}</p>}
          <details>
            <summary>What will run</summary>
            <pre>{JSON.stringify(approval.plan, null, 2)}</pre>
          </details>
          {approval.decisions.length > 0 && (
            <ul>
              {approval.decisions.map((decision) => (
                <li>
                  {decision.approver}: {decision.decision} {shortDate(decision.at)}
                </li>
              ))}
            </ul>
          )}
          {approval.status === 'pending' && can('approve') && approval.requester !== who?.user.name && (
            <div class="row">
              <ActionButton label="Approve" path={`/v1/approvals/${enc(approval.id)}/approve`} onDone={() => list.reload()} />
              <ActionButton label="Deny" danger path={`/v1/approvals/${enc(approval.id)}/deny`} onDone={() => list.reload()} />
            </div>
          )}
        </article>
      ))}
    </section>
  );
}
