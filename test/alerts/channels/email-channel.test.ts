import { describe, expect, it } from 'vitest';
import { createEmailChannel } from '../../../src/alerts/channels/email-channel.js';
import { createSecretResolver } from '../../../src/alerts/secret-reference.js';
import { runChannelContract, sampleMessage } from '../../contracts/alert-channel.js';
import { opensslAvailable, startSmtpReceiver } from '../../fakes/smtp-receiver.js';

const canRun = opensslAvailable();

describe.skipIf(!canRun)('email over SMTP with STARTTLS (skipped without openssl to make a test certificate)', () => {
  runChannelContract('email', async () => {
    const smtp = await startSmtpReceiver();
    const secrets = createSecretResolver({ environment: { SMTP_PASSWORD: smtp.password } });
    const config = { kind: 'email', host: '127.0.0.1', port: smtp.port, security: 'starttls', user: smtp.user, passwordRef: 'env:SMTP_PASSWORD', from: 'rekey@example.test', to: ['oncall@example.test'], caFile: smtp.caFile };
    return {
      channel: createEmailChannel('ops-mail', config, { secrets }),
      secrets: [smtp.password],
      received: async () =>
        smtp.mails.map((mail) => ({
          dedupId: mail.parsed.messageId ?? null,
          action: String(mail.parsed.headers.get('x-rekey-action')) as never,
          text: `${mail.parsed.subject ?? ''}\n${mail.parsed.text ?? ''}`,
          raw: mail.raw,
        })),
      breakTransiently: () => smtp.failNext(451),
      breakPermanently: () => smtp.failNext(550),
      withMissingSecret: async () => createEmailChannel('ops-mail', { ...config, passwordRef: 'env:REKEY_CONTRACT_MISSING' }, { secrets }),
      withClearSecret: async () => createEmailChannel('ops-mail', { ...config, password: smtp.password }, { secrets }),
      cleanup: () => smtp.close(),
    };
  });

  it('the received mail came over TLS, to the configured recipients, threaded, with text and HTML bodies', async () => {
    const smtp = await startSmtpReceiver();
    try {
      const secrets = createSecretResolver({ environment: { SMTP_PASSWORD: smtp.password } });
      const channel = createEmailChannel('ops-mail', { kind: 'email', host: '127.0.0.1', port: smtp.port, user: smtp.user, passwordRef: 'env:SMTP_PASSWORD', from: 'rekey@example.test', to: ['a@example.test', 'b@example.test'], caFile: smtp.caFile }, { secrets });
      await channel.send(sampleMessage('trigger'));
      await channel.send(sampleMessage('resolve', { id: 'resolve-1' }));
      const [trigger, resolve] = smtp.mails;
      expect(trigger?.secure).toBe(true);
      expect(trigger?.envelopeTo).toEqual(['a@example.test', 'b@example.test']);
      expect(trigger?.parsed.subject).toBe('[rekey ALERT] error: Rotation of openai/ticketing/prod is held <& "quoted">');
      expect(trigger?.parsed.html).toContain('&lt;&amp; &quot;quoted&quot;&gt;');
      expect(resolve?.parsed.subject).toMatch(/^\[rekey RESOLVED\]/);
      expect(resolve?.parsed.inReplyTo).toBe(trigger?.parsed.messageId);
    } finally {
      await smtp.close();
    }
  });

  it('refuses to send in clear when the server offers no STARTTLS, and a wrong password is permanent', async () => {
    const smtp = await startSmtpReceiver();
    try {
      const secrets = createSecretResolver({ environment: { WRONG: 'not-the-password' } });
      const channel = createEmailChannel('m', { kind: 'email', host: '127.0.0.1', port: smtp.port, user: smtp.user, passwordRef: 'env:WRONG', from: 'rekey@example.test', to: ['a@example.test'], caFile: smtp.caFile }, { secrets });
      await expect(channel.send(sampleMessage('trigger'))).rejects.toMatchObject({ isRetryable: false, message: expect.stringMatching(/SMTP 535|EAUTH/) });
      // No CA given: the self-signed certificate is refused rather than trusted.
      const untrusting = createEmailChannel('m', { kind: 'email', host: '127.0.0.1', port: smtp.port, user: smtp.user, passwordRef: 'env:WRONG', from: 'rekey@example.test', to: ['a@example.test'] }, { secrets });
      await expect(untrusting.send(sampleMessage('trigger'))).rejects.toThrow(/could not send/);
      expect(smtp.mails).toHaveLength(0);
    } finally {
      await smtp.close();
    }
    // A server that would take mail in clear but does not offer STARTTLS: refused, nothing sent.
    const plain = await startSmtpReceiver({ requireTls: false, offerStartTls: false });
    try {
      const secrets = createSecretResolver({ environment: { PASS: plain.password } });
      const channel = createEmailChannel('m', { kind: 'email', host: '127.0.0.1', port: plain.port, user: plain.user, passwordRef: 'env:PASS', from: 'rekey@example.test', to: ['a@example.test'], caFile: plain.caFile }, { secrets });
      await expect(channel.send(sampleMessage('trigger'))).rejects.toThrow(/could not send/);
      expect(plain.mails).toHaveLength(0);
      // The same server with security: none (a loopback relay) does take it: the refusal above was the TLS rule.
      const clear = createEmailChannel('m', { kind: 'email', host: '127.0.0.1', port: plain.port, security: 'none', user: plain.user, passwordRef: 'env:PASS', from: 'rekey@example.test', to: ['a@example.test'] }, { secrets });
      await clear.send(sampleMessage('trigger'));
      expect(plain.mails).toHaveLength(1);
    } finally {
      await plain.close();
    }
  });
});
