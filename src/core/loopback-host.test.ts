import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './loopback-host.js';

describe('isLoopbackHost', () => {
  it('knows the loopback spellings', () => {
    for (const host of ['localhost', 'LOCALHOST', 'api.localhost', '127.0.0.1', '127.255.3.4', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:7f00:1]', '::ffff:7f12:3456']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('refuses everything else, including look-alikes', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.0.0.256', '127.1', '1.127.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '::2', '::ffff:10.0.0.1', '::ffff:8000:1', '1::1', 'rekey', '', ':::1', '::1::']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
