/** An endpoint that answers 200 with something other than JSON is a named SDK error, not a SyntaxError (found by the fuzz harness). */
import { describe, expect, it } from 'vitest';
import { createKeySource, KeySourceError } from '../../src/sdk/index.js';

describe('key endpoint answers that are not JSON', () => {
  it.each(['', '{', '<html>proxy login</html>'])('answer %j is refused as a KeySourceError naming the endpoint', async (body) => {
    const source = createKeySource({ credential: 'openai/app/prod', from: { url: 'https://rekey.invalid', token: 'rk_read_x_y', checkInIntervalMilliseconds: 0 }, fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }) });
    const error = await source.current().then(() => undefined, (caught: unknown) => caught);
    await source.close();
    expect(error).toBeInstanceOf(KeySourceError);
    expect((error as Error).message).toMatch(/rekey endpoint https:\/\/rekey\.invalid answered HTTP 200 with a body that is not JSON/);
  });
});
