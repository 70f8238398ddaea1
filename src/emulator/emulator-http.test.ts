import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, paginate } from './emulator-http.js';

const items = ['a', 'b', 'c', 'd', 'e'];
const id = (item: string) => item;

describe('emulator pagination', () => {
  it('pages forward with after and reports has_more', () => {
    expect(paginate(items, id, { limit: 2 })).toEqual({ items: ['a', 'b'], hasMore: true });
    expect(paginate(items, id, { limit: 2, after: 'b' })).toEqual({ items: ['c', 'd'], hasMore: true });
    expect(paginate(items, id, { limit: 2, after: 'd' })).toEqual({ items: ['e'], hasMore: false });
  });

  it('pages backward with before, and an unknown cursor gives an empty page', () => {
    expect(paginate(items, id, { limit: 2, before: 'e' })).toEqual({ items: ['c', 'd'], hasMore: true });
    expect(paginate(items, id, { limit: 2, after: 'zz' })).toEqual({ items: [], hasMore: false });
  });

  it('round-trips page tokens and rejects garbage', () => {
    expect(decodePageToken(encodePageToken(17))).toBe(17);
    expect(decodePageToken(undefined)).toBe(0);
    expect(() => decodePageToken('page_bm9wZQ==')).toThrow(/page token/);
  });
});
