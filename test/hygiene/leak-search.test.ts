/** The leak search finds a value however it is written, and only where it is not allowed. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findLeaks, plantedOpenAIKey, type PlantedSecret } from './leak-search.js';

const key = plantedOpenAIKey('Unit');
const masterKey = randomBytes(32);
const secrets: PlantedSecret[] = [{ label: 'key', value: key }, { label: 'master', value: masterKey }];
const found = (text: string | Buffer, allowed?: string[]) =>
  findLeaks([{ source: 'haystack', bytes: Buffer.isBuffer(text) ? text : Buffer.from(text), allowed }], secrets).map((leak) => `${leak.secret}:${leak.form}`);

describe('leak search', () => {
  it('finds the value raw, truncated, in hex and in base64 at any alignment inside a longer blob', () => {
    expect(found(`{"value":"${key}"}`)).toEqual(['key:raw']);
    expect(found(`oops ${key.slice(0, 40)}…`)).toEqual(['key:head']);
    expect(found(`oops …${key.slice(10, 40)}…`)).toEqual(['key:middle']);
    expect(found(`…${key.slice(-30)}`)).toEqual(['key:tail']);
    expect(found(Buffer.from(key).toString('hex').toUpperCase())).toEqual(['key:HEX']);
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      expect(found(Buffer.from(`${prefix}${key}"}`).toString('base64'))).toEqual([expect.stringMatching(/^key:base64@\d$/)]);
      expect(found(Buffer.from(`${prefix}${key}"}`).toString('base64url'))).toEqual([expect.stringMatching(/^key:base64(url)?@\d$/)]);
    }
  });

  it('finds raw key bytes in a binary file and their base64 in text', () => {
    expect(found(Buffer.concat([randomBytes(100), masterKey, randomBytes(100)]))).toEqual(['master:raw']);
    expect(found(`REKEY_MASTER_KEY=${masterKey.toString('base64')}`)).toEqual(['master:base64@0']);
  });

  it('ignores the redacted hint and a secret the haystack may hold', () => {
    expect(found(`sk-proj-…${key.slice(-4)} fingerprint only`)).toEqual([]);
    expect(found(masterKey.toString('base64'), ['master'])).toEqual([]);
  });
});
