/** One credential: its versions as a timeline, its consumers, its policy and its audit events. */
import { enc, type Credential, type Version } from './api.js';
import { relative, shortDate, policyStatus } from './format.js';
import { Problem, useApi } from './load.js';
import { BASE } from './router.js';

interface Detail {
  credential: Credential;
  versions: Version[];
  consumers: { name: string; kind: string; createdAt: string }[];
}

interface AuditEvent {
  seq: number;
  at: string;
  event: string;
  actor: string;
  outcome: string;
  detail: Record<string, unknown>;
}

export function CredentialScreen(props: { name: string }) {
  const detail = useApi<Detail>(`/v1/credentials/${enc(props.name)}`);
  const audit = useApi<AuditEvent[]>(`/v1/audit?credential=${enc(props.name)}&limit=50`);
  const rotations = useApi<{ rotation: string; kind: string; state: string; createdAt: string }[]>(`/v1/rotations?credential=${enc(props.name)}&limit=20`);
  if (detail.problem !== undefined) return <Problem text={detail.problem} />;
  if (detail.data === undefined) return <p aria-busy="true">Loading…</p>;
  const { credential, versions, consumers } = detail.data;
  const current = versions.find((version) => version.stage === 'current') ?? null;
  const { status, due } = policyStatus(credential, current);
  return (
    <section aria-labelledby="credential-title">
      <p>
        <a href={`${BASE}/`}>← Inventory</a>
      </p>
      <h1 id="credential-title">{credential.name}</h1>
      <dl class="facts">
        <dt>Provider</dt>
        <dd>{credential.provider}</dd>
        <dt>Environment</dt>
        <dd>{credential.environment}</dd>
        <dt>Owner</dt>
        <dd>{credential.owner ?? '—'}</dd>
        <dt>Purpose</dt>
        <dd>{credential.purpose ?? '—'}</dd>
        <dt>Policy</dt>
        <dd>
          <span class={`badge ${status.replace(' ', '-')}`}>{status}</span> {due === null ? '' : `next due ${shortDate(due).slice(0, 10)}`}
          {' · '}
          {Object.entries(credential.policy)
            .map(([key, value]) => `${key} ${String(value)}`)
            .join(', ') || 'no policy set'}
        </dd>
      </dl>
      <h2>Versions</h2>
      <ol class="timeline" aria-label="Versions, newest first">
        {[...versions].reverse().map((version) => (
          <li class={`stage-${version.stage}`}>
            <strong>v{version.number}</strong> <span class={`badge stage ${version.stage}`}>{version.stage}</span> {version.hint} · minted by {version.mintedBy} {relative(version.createdAt)} ({shortDate(version.createdAt)}) · {version.stage} since{' '}
            {shortDate(version.stageChangedAt)}
            {version.shreddedAt !== null && ` · shredded ${shortDate(version.shreddedAt)}`}
          </li>
        ))}
      </ol>
      <h2>Consumers</h2>
      {consumers.length === 0 ? (
        <p>No consumers registered.</p>
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Consumer</th>
              <th scope="col">Kind</th>
              <th scope="col">Registered</th>
            </tr>
          </thead>
          <tbody>
            {consumers.map((consumer) => (
              <tr>
                <th scope="row">{consumer.name}</th>
                <td>{consumer.kind}</td>
                <td>{shortDate(consumer.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Rotations</h2>
      <Problem text={rotations.problem} />
      <ul>
        {(rotations.data ?? []).map((rotation) => (
          <li>
            <a href={`${BASE}/rotations/${enc(rotation.rotation)}`}>{rotation.rotation}</a> {rotation.kind} · {rotation.state} · {shortDate(rotation.createdAt)}
          </li>
        ))}
      </ul>
      <h2>Audit events</h2>
      <Problem text={audit.problem} />
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Actor</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {[...(audit.data ?? [])].reverse().map((event) => (
            <tr>
              <td class="num">{event.seq}</td>
              <td>{shortDate(event.at)}</td>
              <td>{event.event}</td>
              <td>{event.actor}</td>
              <td>{event.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}


