/**
 * Real X.509 material for TLS tests, made on the spot with `selfsigned`: one CA, server
 * certificates for 127.0.0.1/localhost it signs, a client certificate it signs, and a client
 * certificate from a stranger CA. Files land in a temporary directory.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface PemPair {
  cert: string;
  key: string;
  /** SHA-256 fingerprint as node:tls reports it (`AA:BB:…`). */
  fingerprint256: string;
}

export interface TestCertificates {
  directory: string;
  ca: PemPair;
  /** A server certificate for 127.0.0.1, ::1 and localhost, signed by `ca`. */
  server(commonName: string): Promise<PemPair>;
  /** A client certificate signed by `ca` (or by a CA nobody trusts). */
  client(commonName: string, options?: { stranger?: boolean }): Promise<PemPair>;
  /** Writes a pair as cert.pem/key.pem (or other names) in `directory`; returns the paths. */
  write(pair: PemPair, names?: { cert: string; key: string }): Promise<{ certFile: string; keyFile: string }>;
  close(): void;
}

const valid = () => ({ notBeforeDate: new Date(Date.now() - 60_000), notAfterDate: new Date(Date.now() + 86_400_000) });

function pairOf(result: { cert: string; private: string }): PemPair {
  return { cert: result.cert, key: result.private, fingerprint256: new X509Certificate(result.cert).fingerprint256 };
}

async function makeCa(name: string): Promise<PemPair> {
  return pairOf(
    await generate([{ name: 'commonName', value: name }], {
      ...valid(),
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    }),
  );
}

async function signed(ca: PemPair, commonName: string, usage: 'server' | 'client'): Promise<PemPair> {
  return pairOf(
    await generate([{ name: 'commonName', value: commonName }], {
      ...valid(),
      keyType: 'ec',
      algorithm: 'sha256',
      ca: { key: ca.key, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: usage === 'client' },
        ...(usage === 'server'
          ? [{ name: 'subjectAltName' as const, altNames: [{ type: 2 as const, value: 'localhost' }, { type: 7 as const, ip: '127.0.0.1' }, { type: 7 as const, ip: '::1' }] }]
          : []),
      ],
    }),
  );
}

export async function createTestCertificates(): Promise<TestCertificates> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-tls-'));
  const ca = await makeCa('rekey test CA');
  let stranger: PemPair | undefined;
  return {
    directory,
    ca,
    server: (commonName) => signed(ca, commonName, 'server'),
    async client(commonName, options = {}) {
      if (options.stranger !== true) return signed(ca, commonName, 'client');
      stranger ??= await makeCa('stranger CA');
      return signed(stranger, commonName, 'client');
    },
    async write(pair, names = { cert: 'cert.pem', key: 'key.pem' }) {
      const certFile = join(directory, names.cert);
      const keyFile = join(directory, names.key);
      await writeFile(certFile, pair.cert);
      await writeFile(keyFile, pair.key, { mode: 0o600 });
      return { certFile, keyFile };
    },
    close: () => rmSync(directory, { recursive: true, force: true }),
  };
}
