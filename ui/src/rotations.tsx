/** Rotations: the list (in flight, held, finished) and one rotation with its journal and actions. */
import { useState } from 'preact/hooks';
import { enc } from './api.js';
import { ActionButton } from './action.js';
import { shortDate } from './format.js';
import { Problem, useApi } from './load.js';
import { BASE, navigate, withQuery, type Route } from './router.js';
import { useCan } from './session.js';

interface RotationRow {
  rotation: string;
  credential: string;
  kind: string;
  state: string;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

interface RotationDetail {
  rotation: string;
  credential: string;
  kind: string;
  state: string;
  hold: { reason: string; holders: string[] } | null;
  failure: string | null;
  from: number | null;
  to: number | null;
  startedAt: string;
  finishedAt: string | null;
  graceStartedAt: string | null;
  journal: { seq: number; at: string; step: string; phase: string }[];
}

export function Rotations(props: { route: Route }) {
  const active = props.route.query.get('active') === 'true';
  const list = useApi<RotationRow[]>(`/v1/rotations?limit=200${active ? '&active=true' : ''}`);
  const can = useCan();
  const [credential, setCredential] = useState('');
  return (
    <section aria-labelledby="rotations-title">
      <h1 id="rotations-title">Rotations</h1>
      <label class="check">
        <input type="checkbox" checked={active} onChange={(event) => navigate(withQuery(props.route, { active: event.currentTarget.checked ? 'true' : undefined }), true)} /> In flight and held only
      </label>
      {(can('rotate') || can('emergency-rotate')) && (
        <div class="card">
          <h2>Start a rotation</h2>
          <label>
            Credential
            <input value={credential} placeholder="openai/app/prod" onInput={(event) => setCredential(event.currentTarget.value)} />
          </label>
          <div class="row">
            {can('rotate') && <ActionButton label="Rotate" path="/v1/rotations" body={{ credential }} onDone={() => list.reload()} />}
            {can('emergency-rotate') && <ActionButton label="Emergency rotate" danger path="/v1/rotations" body={{ credential, emergency: true }} onDone={() => list.reload()} />}
          </div>
        </div>
      )}
      <Problem text={list.problem} />
      <table class="grid" data-testid="rotations">
        <thead>
          <tr>
            <th scope="col">Rotation</th>
            <th scope="col">Credential</th>
            <th scope="col">Kind</th>
            <th scope="col">State</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((row) => (
            <tr>
              <th scope="row">
                <a href={`${BASE}/rotations/${enc(row.rotation)}`}>{row.rotation}</a>
              </th>
              <td>{row.credential}</td>
              <td>{row.kind}</td>
              <td>
                <span class={`badge state-${row.state}`}>{row.state}</span>
                {row.error !== null && <span class="muted"> {row.error}</span>}
              </td>
              <td>{shortDate(row.createdAt)}</td>
              <td>{shortDate(row.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function RotationScreen(props: { id: string }) {
  const detail = useApi<RotationDetail>(`/v1/rotations/${enc(props.id)}`);
  const can = useCan();
  if (detail.problem !== undefined) return <Problem text={detail.problem} />;
  const rotation = detail.data;
  if (rotation === undefined) return <p aria-busy="true">Loading…</p>;
  const finished = rotation.finishedAt !== null;
  const base = `/v1/rotations/${enc(rotation.rotation)}`;
  return (
    <section aria-labelledby="rotation-title">
      <p>
        <a href={`${BASE}/rotations`}>← Rotations</a>
      </p>
      <h1 id="rotation-title">
        Rotation {rotation.rotation} <span class={`badge state-${rotation.state}`}>{rotation.state}</span>
      </h1>
      <dl class="facts">
        <dt>Credential</dt>
        <dd>
          <a href={`${BASE}/credentials/${enc(rotation.credential)}`}>{rotation.credential}</a>
        </dd>
        <dt>Kind</dt>
        <dd>{rotation.kind}</dd>
        <dt>Versions</dt>
        <dd>
          v{rotation.from ?? '?'} → v{rotation.to ?? '?'}
        </dd>
        <dt>Started</dt>
        <dd>{shortDate(rotation.startedAt)}</dd>
        <dt>Grace since</dt>
        <dd>{shortDate(rotation.graceStartedAt)}</dd>
        <dt>Finished</dt>
        <dd>{shortDate(rotation.finishedAt)}</dd>
      </dl>
      {rotation.hold !== null && (
        <div class="notice" role="status">
          <strong>Held:</strong> {rotation.hold.reason}
          {rotation.hold.holders.length > 0 && <> — still on the old version: {rotation.hold.holders.join(', ')}</>}
        </div>
      )}
      {rotation.failure !== null && <p class="error">{rotation.failure}</p>}
      {!finished && (
        <div class="row" aria-label="Actions">
          {can('rotate') && <ActionButton label="Resume" path={`${base}/resume`} onDone={() => detail.reload()} />}
          {can('rotate') && <ActionButton label="Roll back" danger path={`${base}/rollback`} onDone={() => detail.reload()} />}
          {can('end-grace') && <ActionButton label="End grace" danger path={`${base}/end-grace`} onDone={() => detail.reload()} />}
        </div>
      )}
      <h2>Steps</h2>
      <ol class="journal" data-testid="journal">
        {rotation.journal.map((entry) => (
          <li>
            {shortDate(entry.at)} <strong>{entry.step}</strong> {entry.phase}
          </li>
        ))}
      </ol>
    </section>
  );
}
