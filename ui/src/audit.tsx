/** The audit log: filter by credential, event or actor; the hash chain's verify status. */
import { enc } from './api.js';
import { shortDate } from './format.js';
import { Problem, useApi } from './load.js';
import { navigate, withQuery, type Route } from './router.js';

interface AuditEvent {
  seq: number;
  at: string;
  event: string;
  actor: string;
  credential: string | null;
  outcome: string;
  detail: Record<string, unknown>;
}

export const AUDIT_PAGE = 100;

export function Audit(props: { route: Route }) {
  const credential = props.route.query.get('credential') ?? '';
  const text = props.route.query.get('q') ?? '';
  const page = Math.max(1, Number(props.route.query.get('page') ?? '1') || 1);
  const events = useApi<AuditEvent[]>(`/v1/audit${credential === '' ? '' : `?credential=${enc(credential)}`}`);
  const verify = useApi<{ ok: boolean; count?: number; seq?: number; reason?: string }>('/v1/audit/verify');
  const needle = text.toLowerCase();
  const kept = [...(events.data ?? [])].reverse().filter((event) => needle === '' || `${event.event} ${event.actor}`.toLowerCase().includes(needle));
  const pages = Math.max(1, Math.ceil(kept.length / AUDIT_PAGE));
  const shown = kept.slice((Math.min(page, pages) - 1) * AUDIT_PAGE, Math.min(page, pages) * AUDIT_PAGE);
  const set = (changes: Record<string, string | undefined>) => navigate(withQuery(props.route, { page: undefined, ...changes }), true);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <Problem text={verify.problem} />
      {verify.data !== undefined && (
        <p class={verify.data.ok ? 'notice ok' : 'notice bad'} role="status" data-testid="chain">
          {verify.data.ok ? `Hash chain verified: ${verify.data.count ?? 0} events intact.` : `Hash chain BROKEN at event ${verify.data.seq ?? '?'}: ${verify.data.reason ?? ''}`}
        </p>
      )}
      <div class="filters" role="search">
        <label>
          Credential
          <input value={credential} onChange={(event) => set({ credential: event.currentTarget.value })} />
        </label>
        <label>
          Event or actor
          <input type="search" value={text} onInput={(event) => set({ q: event.currentTarget.value })} />
        </label>
      </div>
      <Problem text={events.problem} />
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Actor</th>
            <th scope="col">Credential</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((event) => (
            <tr>
              <td class="num">{event.seq}</td>
              <td>{shortDate(event.at)}</td>
              <td>{event.event}</td>
              <td>{event.actor}</td>
              <td>{event.credential ?? '—'}</td>
              <td>{event.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={page <= 1} onClick={() => set({ page: String(page - 1) })}>
          Previous
        </button>
        <span>
          Page {Math.min(page, pages)} of {pages}
        </span>
        <button type="button" disabled={page >= pages} onClick={() => set({ page: String(page + 1) })}>
          Next
        </button>
      </nav>
    </section>
  );
}
