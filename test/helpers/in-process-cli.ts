/**
 * Runs `rekey …` inside the test process through the real CLI entry (`main`), capturing
 * what it writes: much faster than a process per call, for suites that make hundreds.
 * Environment variables are set with `setEnv` and put back with `restoreEnv`.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { expect, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const saved = new Map<string, string | undefined>();

export function setEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

export function restoreEnv(): void {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
}

export async function rekeyInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'rekey', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

export type Parsed = Array<Record<string, unknown>>;

/** Parses every machine format back to rows of strings (CSV has no types), comparing each with JSON. */
export async function everyFormat(...args: string[]): Promise<Parsed> {
  const json = await rekeyInProcess(...args, '--output', 'json');
  expect(json.code, `${args.join(' ')}: ${json.stderr}`).toBe(0);
  const rows = JSON.parse(json.stdout) as Parsed;
  const text = (rowsIn: Parsed) => rowsIn.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value === null ? '' : String(value)])));
  const ndjson = await rekeyInProcess(...args, '--output', 'ndjson');
  expect(ndjson.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown)).toEqual(rows);
  const yaml = await rekeyInProcess(...args, '--output', 'yaml');
  expect(parseYaml(yaml.stdout) ?? []).toEqual(rows);
  const csv = await rekeyInProcess(...args, '--output', 'csv');
  const csvRows = parseCsv(csv.stdout, { columns: true, skip_empty_lines: true }) as Parsed;
  // The CSV writer guards formula-like cells with a leading quote; undo that to compare.
  expect(csvRows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, String(value).replace(/^'(?=[=+\-@])/, '')])))).toEqual(text(rows));
  const table = await rekeyInProcess(...args, '--output', 'table');
  expect(table.code).toBe(0);
  if (rows.length === 0) expect(table.stdout).toBe('(none)\n');
  else expect(table.stdout.split('\n')[0]).toMatch(new RegExp(`^${Object.keys(rows[0] ?? {})[0]?.toUpperCase().replace('.', '\\.')}\\b`));
  return rows;
}

