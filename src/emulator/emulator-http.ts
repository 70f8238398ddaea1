/** Small HTTP helpers shared by every emulated vendor: query arrays, JSON bodies, pagination. */
import type { Context } from 'hono';

/** Array query parameters in both spellings clients use: `x[]=a&x[]=b` (openai-node, qs brackets) and `x=a&x=b`. */
export function queryArray(context: Context, name: string): string[] {
  const plain = context.req.queries(name) ?? [];
  const bracketed = context.req.queries(`${name}[]`) ?? [];
  return [...plain, ...bracketed].filter((value) => value.length > 0);
}

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** The JSON body as an object; an empty body is `{}`. Throws `BadRequest` on anything else. */
export async function readJsonObject(context: Context): Promise<Record<string, unknown>> {
  const text = await context.req.text();
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequest('We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly.)');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequest('The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`Invalid type for '${field}': expected a string.`, field);
  return value;
}

export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value.length === 0) throw new BadRequest(`Missing required parameter: '${field}'.`, field);
  return value;
}

export function optionalInteger(value: string | undefined, field: string, minimum: number, maximum: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum || parsed > maximum) {
    throw new BadRequest(`Invalid '${field}': expected an integer between ${minimum} and ${maximum}.`, field);
  }
  return parsed;
}

export interface CursorPage<T> {
  items: T[];
  hasMore: boolean;
}

/**
 * Cursor pagination over an already ordered list: `after` / `before` are ids of items in
 * the list. An unknown cursor gives an empty page (the real APIs do not fail on it).
 */
export function paginate<T>(items: T[], idOf: (item: T) => string, cursor: { limit: number; after?: string | undefined; before?: string | undefined }): CursorPage<T> {
  let start = 0;
  let end = items.length;
  if (cursor.after !== undefined) {
    const index = items.findIndex((item) => idOf(item) === cursor.after);
    start = index === -1 ? items.length : index + 1;
  }
  if (cursor.before !== undefined) {
    const index = items.findIndex((item) => idOf(item) === cursor.before);
    end = index === -1 ? 0 : index;
    start = Math.max(start, end - cursor.limit);
  }
  const window = items.slice(start, end);
  return { items: window.slice(0, cursor.limit), hasMore: window.length > cursor.limit || (cursor.before !== undefined && start > 0) };
}

/** Opaque page tokens for usage/cost reports: the bucket index, base64 encoded, like `page_AAAA…`. */
export function encodePageToken(index: number): string {
  return `page_${Buffer.from(`bucket:${index}`).toString('base64')}`;
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const decoded = Buffer.from(token.replace(/^page_/, ''), 'base64').toString('utf8');
  const match = /^bucket:(\d+)$/.exec(decoded);
  if (match?.[1] === undefined) throw new BadRequest('Invalid page token.', 'page');
  return Number(match[1]);
}

/** Rough token count for canned replies: about four characters a token, at least one. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
