/**
 * A real SMTP server (the `smtp-server` library) on loopback that requires STARTTLS and
 * AUTH PLAIN/LOGIN before it accepts mail, and parses every received message with
 * `mailparser`, so tests read what a recipient's mail server got.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  raw: string;
  /** Whether the session had upgraded to TLS when the message was sent. */
  secure: boolean;
}

export interface SmtpReceiver {
  port: number;
  caFile: string;
  user: string;
  password: string;
  mails: ReceivedMail[];
  /** The next `times` messages get this SMTP reply code (4xx transient, 5xx permanent). */
  failNext(code: number, times?: number): void;
  close(): Promise<void>;
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

let certificate: Promise<{ directory: string; keyFile: string; certFile: string }> | undefined;

/** One self-signed certificate per test process (key generation is the slow part). */
function testCertificate(): Promise<{ directory: string; keyFile: string; certFile: string }> {
  certificate ??= (async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rekey-smtp-'));
    const keyFile = join(directory, 'key.pem');
    const certFile = join(directory, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    if (made.status !== 0) throw new Error('openssl could not make a test certificate');
    process.once('exit', () => void rm(directory, { recursive: true, force: true }));
    return { directory, keyFile, certFile };
  })();
  return certificate;
}

export async function startSmtpReceiver(options: { user?: string; password?: string; requireTls?: boolean; offerStartTls?: boolean } = {}): Promise<SmtpReceiver> {
  const { keyFile, certFile } = await testCertificate();
  const user = options.user ?? 'alerts@example.test';
  const password = options.password ?? 'smtp-pass-Zq81-not-a-key';
  const mails: ReceivedMail[] = [];
  const faults: Array<{ code: number; times: number }> = [];
  const requireTls = options.requireTls ?? true;
  const server = new SMTPServer({
    key: await readFile(keyFile),
    cert: await readFile(certFile),
    secure: false,
    ...(options.offerStartTls === false ? { disabledCommands: ['STARTTLS'] } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    // Refuse AUTH (and so mail) on a connection that has not upgraded with STARTTLS.
    allowInsecureAuth: !requireTls,
    logger: false,
    disableReverseLookup: true,
    onAuth(auth, session, callback) {
      if (requireTls && session.secure !== true) return callback(new Error('must issue STARTTLS first'));
      if (auth.username === user && auth.password === password) return callback(null, { user });
      return callback(Object.assign(new Error('invalid credentials'), { responseCode: 535 }));
    },
    onMailFrom(_address, session, callback) {
      if (session.user === undefined) return callback(Object.assign(new Error('authentication required'), { responseCode: 530 }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const fault = faults[0];
        if (fault !== undefined) {
          fault.times -= 1;
          if (fault.times <= 0) faults.shift();
          return callback(Object.assign(new Error('injected failure'), { responseCode: fault.code }));
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            mails.push({ envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address), parsed, raw: raw.toString('utf8'), secure: session.secure });
            callback();
          },
          (error: unknown) => callback(error as Error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    caFile: certFile,
    user,
    password,
    mails,
    failNext(code, times = 1) {
      faults.push({ code, times });
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
