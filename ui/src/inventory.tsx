/**
 * Inventory: every credential the person may read, with its current version's age, the next
 * due date by policy and the policy status. Search, filters, sort and page live in the URL.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, enc, type Credential, type Version } from './api.js';
import { ageDays, policyStatus, shortDate, type PolicyStatus } from './format.js';
import { BASE, navigate, withQuery, type Route } from './router.js';

interface Row {
  credential: Credential;
  current: Version | null;
}

interface Line {
  name: string;
  provider: string;
  environment: string;
  owner: string;
  age: number | null;
  due: string | null;
  status: PolicyStatus;
  version: number | null;
  hint: string;
}

export const PAGE_SIZE = 50;
const COLUMNS: { key: keyof Line; label: string }[] = [
  { key: 'name', label: 'Credential' },
  { key: 'provider', label: 'Provider' },
  { key: 'environment', label: 'Environment' },
  { key: 'owner', label: 'Owner' },
  { key: 'version', label: 'Version' },
  { key: 'age', label: 'Age (days)' },
  { key: 'due', label: 'Next due' },
  { key: 'status', label: 'Policy' },
];

function lineOf(row: Row, now: number): Line {
  const { status, due } = policyStatus(row.credential, row.current, now);
  return {
    name: row.credential.name,
    provider: row.credential.provider,
    environment: row.credential.environment,
    owner: row.credential.owner ?? '',
    age: row.current === null ? null : ageDays(row.current.createdAt, now),
    due,
    status,
    version: row.current?.number ?? null,
    hint: row.current?.hint ?? '',
  };
}

function compare(left: Line, right: Line, key: keyof Line): number {
  const a = left[key];
  const b = right[key];
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export function Inventory(props: { route: Route }) {
  const { route } = props;
  const [rows, setRows] = useState<Row[] | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  useEffect(() => {
    api<Row[]>('/v1/credentials').then(setRows, (error: Error) => setProblem(error.message));
  }, []);
  useEffect(() => {
    // For bench/dashboard: the moment the table first has its rows, on the page's own clock.
    if (rows !== undefined && performance.getEntriesByName('rekey:inventory-rendered').length === 0) performance.mark('rekey:inventory-rendered');
  }, [rows]);
  const q = route.query.get('q') ?? '';
  const provider = route.query.get('provider') ?? '';
  const environment = route.query.get('env') ?? '';
  const status = route.query.get('status') ?? '';
  const sort = (route.query.get('sort') ?? 'name') as keyof Line;
  const descending = route.query.get('dir') === 'desc';
  const page = Math.max(1, Number(route.query.get('page') ?? '1') || 1);
  const lines = useMemo(() => {
    const now = Date.now();
    return (rows ?? []).map((row) => lineOf(row, now));
  }, [rows]);
  const shown = useMemo(() => {
    const needle = q.toLowerCase();
    const kept = lines.filter(
      (line) =>
        (needle === '' || line.name.toLowerCase().includes(needle) || line.owner.toLowerCase().includes(needle)) &&
        (provider === '' || line.provider === provider) &&
        (environment === '' || line.environment === environment) &&
        (status === '' || line.status === status),
    );
    kept.sort((left, right) => (descending ? -1 : 1) * compare(left, right, COLUMNS.some((column) => column.key === sort) ? sort : 'name'));
    return kept;
  }, [lines, q, provider, environment, status, sort, descending]);
  if (problem !== undefined) return <p role="alert" class="error">{problem}</p>;
  if (rows === undefined) return <p aria-busy="true">Loading the inventory…</p>;
  const providers = [...new Set(lines.map((line) => line.provider))].sort();
  const environments = [...new Set(lines.map((line) => line.environment))].sort();
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const pageLines = shown.slice((Math.min(page, pages) - 1) * PAGE_SIZE, Math.min(page, pages) * PAGE_SIZE);
  const set = (changes: Record<string, string | undefined>) => navigate(withQuery(route, { page: undefined, ...changes }), true);
  const counts = (wanted: PolicyStatus) => lines.filter((line) => line.status === wanted).length;
  return (
    <section aria-labelledby="inventory-title">
      <h1 id="inventory-title">Inventory</h1>
      <p class="summary">
        {lines.length} credentials · <span class="badge overdue">{counts('overdue')} overdue</span> <span class="badge violation">{counts('violation')} in violation</span>{' '}
        <span class="badge due-soon">{counts('due soon')} due soon</span>
      </p>
      <div class="filters" role="search">
        <label>
          Search
          <input type="search" value={q} placeholder="name or owner" onInput={(event) => set({ q: event.currentTarget.value })} />
        </label>
        <label>
          Provider
          <select value={provider} onChange={(event) => set({ provider: event.currentTarget.value })}>
            <option value="">all</option>
            {providers.map((item) => (
              <option value={item}>{item}</option>
            ))}
          </select>
        </label>
        <label>
          Environment
          <select value={environment} onChange={(event) => set({ env: event.currentTarget.value })}>
            <option value="">all</option>
            {environments.map((item) => (
              <option value={item}>{item}</option>
            ))}
          </select>
        </label>
        <label>
          Policy
          <select value={status} onChange={(event) => set({ status: event.currentTarget.value })}>
            <option value="">all</option>
            {(['ok', 'due soon', 'overdue', 'violation', 'no policy'] as const).map((item) => (
              <option value={item}>{item}</option>
            ))}
          </select>
        </label>
      </div>
      <table class="grid" data-testid="inventory">
        <caption class="visually-hidden">Credentials, sorted by {sort}</caption>
        <thead>
          <tr>
            {COLUMNS.map((column) => (
              <th scope="col" aria-sort={sort === column.key ? (descending ? 'descending' : 'ascending') : undefined}>
                <button type="button" class="sort" onClick={() => set({ sort: column.key, dir: sort === column.key && !descending ? 'desc' : undefined })}>
                  {column.label}
                  {sort === column.key ? (descending ? ' ▼' : ' ▲') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {pageLines.map((line) => (
            <tr>
              <th scope="row">
                <a href={`${BASE}/credentials/${enc(line.name)}`}>{line.name}</a>
              </th>
              <td>{line.provider}</td>
              <td>{line.environment}</td>
              <td>{line.owner || '—'}</td>
              <td>{line.version === null ? '—' : `v${line.version} ${line.hint}`}</td>
              <td class="num">{line.age ?? '—'}</td>
              <td>{line.due === null ? '—' : shortDate(line.due).slice(0, 10)}</td>
              <td>
                <span class={`badge ${line.status.replace(' ', '-')}`}>{line.status}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p>No credential matches.</p>}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={page <= 1} onClick={() => navigate(withQuery(route, { page: String(page - 1) }), true)}>
          Previous
        </button>
        <span>
          Page {Math.min(page, pages)} of {pages} ({shown.length} shown)
        </span>
        <button type="button" disabled={page >= pages} onClick={() => navigate(withQuery(route, { page: String(page + 1) }), true)}>
          Next
        </button>
      </nav>
    </section>
  );
}
