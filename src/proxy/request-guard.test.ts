import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateJsonKey, endpointGroupOf, parseEndpointGroups, pathRefusal } from './request-guard.js';

describe('request guard', () => {
  it('finds a duplicate key in any object of a JSON text, and none where keys differ', () => {
    expect(duplicateJsonKey('{"model":"a","model":"b"}')).toBe('model');
    expect(duplicateJsonKey('{"a":{"x":1,"x":2}}')).toBe('x');
    expect(duplicateJsonKey('[{"x":1},{"x":2}]')).toBeUndefined();
    expect(duplicateJsonKey('{"m\\u006fdel":"a","model":"b"}')).toBe('model');
    expect(duplicateJsonKey('{"a":"\\"model\\"","model":"x","b":["model","model"]}')).toBeUndefined();
  });

  it('agrees with a reference on generated JSON (no false alarms, no misses)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, duplicate) => {
        let text = JSON.stringify(value);
        if (duplicate && text.startsWith('{') && text !== '{}') text = `{"dup":1,${text.slice(1, -1)},"dup":2}`;
        else if (duplicate) return;
        const expected = duplicate ? 'dup' : undefined;
        const found = duplicateJsonKey(text);
        // A generated object may itself contain "dup" as a key: then the first duplicate may differ, but one exists.
        if (expected === undefined) expect(found).toBeUndefined();
        else expect(found).toBeDefined();
      }),
      { seed: 18, numRuns: 300 },
    );
  });

  it('sorts paths into endpoint groups, method first', () => {
    expect(endpointGroupOf('openai', 'POST', '/chat/completions')).toBe('inference');
    expect(endpointGroupOf('openai', 'GET', '/chat/completions')).toBe('stored');
    expect(endpointGroupOf('openai', 'GET', '/files/file-1/content')).toBe('files');
    expect(endpointGroupOf('openai', 'DELETE', '/models/ft-1')).toBeUndefined();
    expect(endpointGroupOf('anthropic', 'POST', '/v1/messages')).toBe('inference');
    expect(endpointGroupOf('anthropic', 'POST', '/v1/messages/batches')).toBe('batches');
    expect(() => parseEndpointGroups(['files,admn'])).toThrow('unknown endpoint group "admn" (groups: inference, models, stored, files, batches, fine-tuning, assistants, admin)');
  });

  it('refuses encoded separators and dot segments in the raw path', () => {
    expect(pathRefusal('/v1/chat/completions')).toBeUndefined();
    for (const path of ['/v1/..%2fx', '/v1/%2E%2E/x', '/v1/a%5Cb', '/v1//x', '/v1/./x', '/v1/a\\b']) expect(pathRefusal(path), path).toBeDefined();
  });
});
