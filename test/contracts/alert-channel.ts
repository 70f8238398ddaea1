/**
 * The alert channel contract suite (issue 15 §1). Every channel runs it from its own test:
 *
 *   runChannelContract('slack', async () => ({ channel, received, breakTransiently, … }));
 *
 * It proves, against a real receiver on loopback: a trigger arrives with its headline,
 * summary, credential, facts and alert key; acknowledge and resolve arrive as such; a
 * redelivered message keeps its identity (so a receiver can dedup); transient failures are
 * retryable and permanent ones are not; errors and descriptions never carry a channel
 * secret; a missing secret reference is a ConfigError naming it; a secret written into the
 * configuration in clear is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertAction, AlertMessage } from '../../src/alerts/alert-types.js';
import type { AlertChannel } from '../../src/alerts/channels/channel-spec.js';
import { ConfigError, SinkError } from '../../src/core/errors.js';

export interface ReceivedAlert {
  /** The identity a receiver dedups on (webhook-id, Message-ID, dedup_key); null when the protocol has none (Slack, Teams). */
  dedupId: string | null;
  action: AlertAction | 'unknown';
  /** Every human-readable string of the message, joined. */
  text: string;
  /** The raw request or message as it arrived. */
  raw: string;
}

export interface ChannelHarness {
  channel: AlertChannel;
  received(): Promise<ReceivedAlert[]>;
  /** The next send fails in a way a retry can fix (503, SMTP 421). */
  breakTransiently(): void;
  /** The next send fails for good (400/404, SMTP 550). */
  breakPermanently(): void;
  /** What the channel's references resolve to: no error or description may contain them. */
  secrets: string[];
  /** The same channel with its secret reference pointing at nothing. */
  withMissingSecret(): Promise<AlertChannel>;
  /** Builds the channel from a config that holds its secret in clear (must throw ConfigError). */
  withClearSecret(): Promise<AlertChannel>;
  /** Trigger and resolve of one alert fold into one incident at the receiver (PagerDuty). */
  incidentState?(alertKey: string): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

export function sampleMessage(action: AlertAction, overrides: Partial<AlertMessage> = {}): AlertMessage {
  const since = new Date('2026-03-02T03:10:00Z');
  return {
    id: `msg-contract-${action}-0001`,
    action,
    alertKey: 'rotation-held:openai/ticketing/prod:rot_contract',
    occurrences: 3,
    firstSeen: since,
    createdAt: new Date('2026-03-02T03:15:00Z'),
    event: {
      kind: 'rotation-held',
      severity: 'error',
      key: 'rotation-held:openai/ticketing/prod:rot_contract',
      title: 'Rotation of openai/ticketing/prod is held <& "quoted">',
      summary: 'The old key (v3) still carries traffic after the 24h maximum grace. rekey did not revoke it.',
      credential: 'openai/ticketing/prod',
      environment: 'prod',
      facts: [
        { label: 'still on v3', value: 'consumer:batch-worker (last used 2m ago)' },
        { label: 'expected', value: 'no traffic on v3 after 24h' },
      ],
      since,
    },
    ...overrides,
  };
}

export function runChannelContract(kind: string, createHarness: () => Promise<ChannelHarness>): void {
  describe(`alert channel contract: ${kind}`, () => {
    let harness: ChannelHarness;
    beforeEach(async () => {
      harness = await createHarness();
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    const expectNoSecret = (text: string) => {
      for (const secret of harness.secrets) expect(text).not.toContain(secret);
    };

    it('delivers a trigger the receiver can read: headline, summary, credential, facts and alert key', async () => {
      const receipt = await harness.channel.send(sampleMessage('trigger'));
      expect(receipt.detail).not.toBe('');
      const [received, ...more] = await harness.received();
      expect(more).toHaveLength(0);
      expect(received?.action).toBe('trigger');
      const text = received?.text ?? '';
      expect(text).toContain('Rotation of openai/ticketing/prod is held');
      expect(text).toContain('still carries traffic after the 24h maximum grace');
      expect(text).toContain('openai/ticketing/prod');
      expect(text).toContain('consumer:batch-worker (last used 2m ago)');
      expect(text).toContain('2026-03-02T03:10:00.000Z');
    });

    it('delivers acknowledge and resolve as such, after the trigger', async () => {
      await harness.channel.send(sampleMessage('trigger'));
      await harness.channel.send(sampleMessage('acknowledge', { id: 'msg-contract-ack-0002', by: 'cli:ops' }));
      await harness.channel.send(sampleMessage('resolve', { id: 'msg-contract-resolve-0003' }));
      const received = await harness.received();
      expect(received.map((item) => item.action)).toEqual(['trigger', 'acknowledge', 'resolve']);
      if (harness.incidentState !== undefined) expect(await harness.incidentState(sampleMessage('trigger').alertKey)).toBe('resolved');
    });

    it('a redelivered message keeps its identity, so the receiver can drop the duplicate', async () => {
      await harness.channel.send(sampleMessage('trigger'));
      await harness.channel.send(sampleMessage('trigger'));
      const [first, second] = await harness.received();
      expect(first?.dedupId).toBe(second?.dedupId);
      // Protocols without an idempotency key (Slack, Teams) say so with null; the others must give one.
      if (!['slack', 'teams'].includes(kind)) expect(first?.dedupId).toEqual(expect.any(String));
    });

    it('a transient failure is retryable, a permanent one is not, and neither error names a secret', async () => {
      harness.breakTransiently();
      const transient = await harness.channel.send(sampleMessage('trigger')).then(() => undefined, (error: unknown) => error);
      expect(transient).toBeInstanceOf(SinkError);
      expect((transient as SinkError).isRetryable).toBe(true);
      expectNoSecret(`${String(transient)} ${JSON.stringify(transient)} ${String((transient as Error).cause ?? '')}`);
      harness.breakPermanently();
      const permanent = await harness.channel.send(sampleMessage('trigger')).then(() => undefined, (error: unknown) => error);
      expect(permanent).toBeInstanceOf(SinkError);
      expect((permanent as SinkError).isRetryable).toBe(false);
      expectNoSecret(`${String(permanent)} ${JSON.stringify(permanent)}`);
      expect(await harness.received()).toHaveLength(0);
    });

    it('a missing secret is a ConfigError that names the reference and sends nothing', async () => {
      const channel = await harness.withMissingSecret();
      const error = await channel.send(sampleMessage('trigger')).then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message)).toMatch(/REKEY_CONTRACT_MISSING|vault:alerts\/missing/);
      expect(await harness.received()).toHaveLength(0);
    });

    it('describes itself by reference, never by secret', () => {
      const description = harness.channel.describe();
      expect(description).toContain(harness.channel.name);
      expectNoSecret(description);
    });

    it('refuses a configuration that holds its secret in clear', async () => {
      const error = await harness.withClearSecret().then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expectNoSecret(String((error as Error).message));
    });
  });
}
