import { describe, expect, it } from 'vitest';
import { useServerApp } from '../../../test/helpers/server-app-world.js';

const world = useServerApp();

describe('health routes', () => {
  it('answers health checks without a token', async () => {
    expect((await world.app.request('/healthz')).status).toBe(200);
    expect(await (await world.app.request('/readyz')).json()).toEqual({ status: 'ready' });
  });
});
