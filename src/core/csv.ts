/**
 * One CSV field as RFC 4180 says (a field with a comma, quote, CR or LF is quoted, quotes
 * doubled), and safe to open in a spreadsheet: a field that starts like a formula (`=`,
 * `+`, `-`, `@`, tab, CR) gets a leading `'`, so an actor or owner name cannot run as a
 * formula. JSON exports stay exact.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
