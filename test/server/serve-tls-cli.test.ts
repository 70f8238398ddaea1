/**
 * `rekey serve --tls-cert --tls-key --tls-client-ca` through the built binary: it listens on
 * https, a client with a certificate from the CA reads health, one without is turned away,
 * and a renewed certificate written over the files is served without a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REKEY_BIN, runRekey, temporaryHome } from '../helpers/cli-runner.js';
import { createTestCertificates, type TestCertificates } from '../helpers/test-certificates.js';

let certificates: TestCertificates;
let home: string;
let child: ChildProcess | undefined;
const env = { REKEY_HOME: '', REKEY_MASTER_KEY: randomBytes(32).toString('base64') };

function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp, seen: { text: string }): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(seen.text);
      if (match !== null) {
        stream.off('data', onData);
        resolve(match);
      }
    };
    const onData = (chunk: Buffer) => {
      seen.text += chunk.toString();
      check();
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`ended before ${pattern}: ${seen.text}`)));
    check();
  });
}

beforeAll(async () => {
  certificates = await createTestCertificates();
  home = temporaryHome();
  env.REKEY_HOME = home;
  expect((await runRekey(['init'], { env })).code).toBe(0);
});
afterAll(() => {
  child?.kill('SIGKILL');
  certificates.close();
  rmSync(dirname(home), { recursive: true, force: true });
});

describe('rekey serve over TLS (the binary)', () => {
  it('serves https with client certificates and picks up a renewed certificate without a restart', async () => {
    const first = await certificates.server('first');
    const files = await certificates.write(first);
    const clientCa = join(certificates.directory, 'client-ca.pem');
    writeFileSync(clientCa, certificates.ca.cert);
    child = spawn(process.execPath, [REKEY_BIN, 'serve', '--port', '0', '--tls-cert', files.certFile, '--tls-key', files.keyFile, '--tls-client-ca', clientCa], {
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr = { text: '' };
    const url = (await waitForLine(child.stderr as NodeJS.ReadableStream, /listening on (https:\/\/127\.0\.0\.1:\d+)/, stderr))[1] ?? '';

    const client = await certificates.client('ops');
    const withCertificate = new Agent({ connect: { ca: certificates.ca.cert, cert: client.cert, key: client.key } });
    const health = await undiciFetch(`${url}/healthz`, { dispatcher: withCertificate });
    expect(health.status).toBe(200);
    await expect(undiciFetch(`${url}/healthz`, { dispatcher: new Agent({ connect: { ca: certificates.ca.cert } }) })).rejects.toThrow(/fetch failed/);

    const second = await certificates.server('second');
    writeFileSync(files.keyFile, second.key);
    writeFileSync(files.certFile, second.cert);
    await waitForLine(child.stderr as NodeJS.ReadableStream, /rekey serve: TLS certificate reloaded from /, stderr);
    const { port } = new URL(url);
    const served = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(port), ca: certificates.ca.cert, servername: 'localhost', cert: client.cert, key: client.key }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(served).toBe(second.fingerprint256);
    expect(stderr.text).not.toContain('PRIVATE KEY');
    child.kill('SIGTERM');
  });
});
