/**
 * The querying half shared by `rekey openai …`, `rekey anthropic …` and `rekey usage`:
 * time ranges (`--since 7d`, `--from`, `--to`), bucket widths, `--group-by` and
 * `--filter`, all over flat rows. Rows arrive as an async stream; filtering passes them
 * on one by one and grouping keeps one accumulator per group, never the rows.
 */
import { UsageError } from '../core/errors.js';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface TimeRange {
  startMs: number;
  endMs: number;
}

const RELATIVE_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const TIME_HINT = 'use a relative time such as 30m, 12h, 7d or 2w, an ISO date such as 2026-12-01, an ISO date-time such as 2026-12-01T08:00:00Z, or unix seconds';

/** `7d` (ago), `2026-12-01`, `2026-12-01T08:00:00Z`, or unix seconds → milliseconds. */
export function parseTimePoint(text: string, option: string, nowMs: number): number {
  const trimmed = text.trim();
  const relative = /^(\d+)(m|h|d|w)$/.exec(trimmed);
  if (relative !== null) return nowMs - Number(relative[1]) * (RELATIVE_UNITS[relative[2] ?? 'd'] ?? 0);
  if (trimmed === 'now') return nowMs;
  if (/^\d{9,11}$/.test(trimmed)) return Number(trimmed) * 1000;
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    // A bare date or a date-time without an offset is UTC, so the same command means the same range anywhere.
    const iso = trimmed.length === 10 ? `${trimmed}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) ? trimmed.replace(' ', 'T') : `${trimmed.replace(' ', 'T')}Z`;
    const parsed = Date.parse(iso);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new UsageError(`${option}: "${text}" is not a time`, { hint: TIME_HINT });
}

/** `--since` alone, or `--from`/`--to`; the default is the last `defaultDays` days. */
export function parseTimeRange(options: { since?: string | undefined; from?: string | undefined; to?: string | undefined }, nowMs: number, defaultDays = 7): TimeRange {
  if (options.since !== undefined && options.from !== undefined) throw new UsageError('give --since or --from, not both');
  const startMs =
    options.since !== undefined
      ? parseTimePoint(options.since, '--since', nowMs)
      : options.from !== undefined
        ? parseTimePoint(options.from, '--from', nowMs)
        : nowMs - defaultDays * 86_400_000;
  const endMs = options.to === undefined ? nowMs : parseTimePoint(options.to, '--to', nowMs);
  if (endMs <= startMs) {
    throw new UsageError(`the time range is empty: it starts ${new Date(startMs).toISOString()} and ends ${new Date(endMs).toISOString()}`, { hint: 'the start (--since/--from) must be before the end (--to)' });
  }
  return { startMs, endMs };
}

export const BUCKET_WIDTHS = ['1m', '1h', '1d'] as const;
export type BucketWidth = (typeof BUCKET_WIDTHS)[number];
export const BUCKET_MS: Record<BucketWidth, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };

export function parseBucket(text: string | undefined, allowed: readonly BucketWidth[] = BUCKET_WIDTHS): BucketWidth {
  const value = text ?? '1d';
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--bucket: "${value}" is not a bucket width here`, { hint: `use one of ${allowed.join(', ')}` });
  }
  return value as BucketWidth;
}

/** What a user may write in `--group-by` and the column it means. */
export const GROUP_ALIASES: Record<string, string> = {
  project: 'project_id',
  workspace: 'workspace_id',
  key: 'api_key_id',
  model: 'model',
  user: 'user_id',
  'line-item': 'line_item',
  line_item: 'line_item',
  day: 'day',
  credential: 'credential',
  owner: 'credential_owner',
  environment: 'environment',
  actor: 'actor',
  provider: 'provider',
  description: 'description',
};

/**
 * `--group-by project,model` (repeatable or comma-separated) → column names, checked
 * against what this command can group by (`allowed` are column names).
 */
export function parseGroupBy(values: readonly string[] | undefined, allowed: readonly string[]): string[] {
  const words = (values ?? []).flatMap((value) => value.split(',')).map((word) => word.trim()).filter((word) => word !== '');
  const columns: string[] = [];
  for (const word of words) {
    const column = GROUP_ALIASES[word] ?? word;
    if (!allowed.includes(column)) {
      const names = Object.entries(GROUP_ALIASES).filter(([, target]) => allowed.includes(target)).map(([alias]) => alias);
      const spelled = [...new Set([...names.filter((name) => name !== 'line_item'), ...allowed.filter((name) => !Object.values(GROUP_ALIASES).includes(name))])];
      throw new UsageError(`--group-by: cannot group by "${word}" here`, { hint: `group by any of: ${spelled.join(', ')}` });
    }
    if (!columns.includes(column)) columns.push(column);
  }
  return columns;
}

export interface RowFilter {
  column: string;
  operator: '=' | '!=' | '~';
  value: string;
}

/** `--filter model=gpt-4o`, `--filter project_id!=proj_x`, `--filter name~prod` (contains). */
export function parseFilters(values: readonly string[] | undefined, columns: readonly string[]): RowFilter[] {
  return (values ?? []).map((text) => {
    const match = /^([A-Za-z0-9_.-]+)\s*(!=|=|~)(.*)$/s.exec(text);
    if (match === null) throw new UsageError(`--filter: "${text}" is not column=value`, { hint: 'write --filter column=value, column!=value or column~text (contains)' });
    const column = GROUP_ALIASES[match[1] ?? ''] ?? match[1] ?? '';
    if (!columns.includes(column)) {
      throw new UsageError(`--filter: no column "${match[1] ?? ''}"`, { hint: `columns: ${columns.join(', ')}` });
    }
    return { column, operator: match[2] as RowFilter['operator'], value: match[3] ?? '' };
  });
}

function cellText(value: Cell | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

export function matchesFilters(row: Row, filters: readonly RowFilter[]): boolean {
  for (const filter of filters) {
    const text = cellText(row[filter.column]);
    if (filter.operator === '=' && text !== filter.value) return false;
    if (filter.operator === '!=' && text === filter.value) return false;
    if (filter.operator === '~' && !text.toLowerCase().includes(filter.value.toLowerCase())) return false;
  }
  return true;
}

export async function* filterRows(rows: AsyncIterable<Row>, filters: readonly RowFilter[]): AsyncGenerator<Row> {
  for await (const row of rows) if (matchesFilters(row, filters)) yield row;
}

/** A UTC day (`2026-12-07`) from milliseconds. */
export const dayOf = (milliseconds: number) => new Date(milliseconds).toISOString().slice(0, 10);

/**
 * Sums `measures` per distinct combination of `groupBy` columns, in first-seen order.
 * Memory grows with the number of groups, not with the rows read. A measure that is
 * null in every row of a group stays null.
 */
export async function aggregateRows(rows: AsyncIterable<Row>, groupBy: readonly string[], measures: readonly string[]): Promise<Row[]> {
  const groups = new Map<string, Row>();
  for await (const row of rows) {
    const key = JSON.stringify(groupBy.map((column) => row[column] ?? null));
    let group = groups.get(key);
    if (group === undefined) {
      group = Object.fromEntries([...groupBy.map((column) => [column, row[column] ?? null]), ...measures.map((measure) => [measure, null])]) as Row;
      groups.set(key, group);
    }
    for (const measure of measures) {
      const value = row[measure];
      if (typeof value === 'number') group[measure] = ((group[measure] as number | null) ?? 0) + value;
    }
  }
  return [...groups.values()];
}

/** Rounds sums of floats (costs) so that 0.1 + 0.2 prints as 0.3. */
export function roundMoney(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}
