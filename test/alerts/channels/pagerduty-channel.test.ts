import { expect, it } from 'vitest';
import { createPagerdutyChannel } from '../../../src/alerts/channels/pagerduty-channel.js';
import { createSecretResolver } from '../../../src/alerts/secret-reference.js';
import { runChannelContract, sampleMessage } from '../../contracts/alert-channel.js';
import { startPagerdutyEventsFake } from '../../fakes/pagerduty-events-fake.js';

runChannelContract('pagerduty', async () => {
  const fake = await startPagerdutyEventsFake();
  const secrets = createSecretResolver({ environment: { PD_ROUTING_KEY: fake.routingKey } });
  const config = { kind: 'pagerduty', routingKeyRef: 'env:PD_ROUTING_KEY', url: fake.url };
  return {
    channel: createPagerdutyChannel('oncall', config, { secrets }),
    secrets: [fake.routingKey],
    received: async () =>
      fake.accepted.map((event) => ({
        dedupId: String(event['dedup_key']),
        action: event['event_action'] as never,
        text: JSON.stringify(event['payload'] ?? {}),
        raw: JSON.stringify(event),
      })),
    breakTransiently: () => fake.server.failNext(429),
    breakPermanently: () => fake.server.failNext(400),
    withMissingSecret: async () => createPagerdutyChannel('oncall', { ...config, routingKeyRef: 'env:REKEY_CONTRACT_MISSING' }, { secrets }),
    withClearSecret: async () => createPagerdutyChannel('oncall', { ...config, routingKeyRef: fake.routingKey }, { secrets }),
    incidentState: async (alertKey) => fake.incidents.get(alertKey)?.status,
    cleanup: () => fake.close(),
  };
});

it('PagerDuty: a reminder folds into the open incident; a wrong routing key is a permanent 400', async () => {
  const fake = await startPagerdutyEventsFake();
  try {
    const secrets = createSecretResolver({ environment: { GOOD: fake.routingKey, WRONG: 'W'.repeat(32) } });
    const channel = createPagerdutyChannel('oncall', { kind: 'pagerduty', routingKeyRef: 'env:GOOD', url: fake.url }, { secrets });
    await channel.send(sampleMessage('trigger'));
    await channel.send(sampleMessage('remind', { id: 'remind-1' }));
    const incident = fake.incidents.get(sampleMessage('trigger').alertKey);
    expect(incident?.status).toBe('triggered');
    expect(incident?.events).toHaveLength(2);
    expect(incident?.severity).toBe('error');
    const wrong = createPagerdutyChannel('oncall', { kind: 'pagerduty', routingKeyRef: 'env:WRONG', url: fake.url }, { secrets });
    await expect(wrong.send(sampleMessage('trigger'))).rejects.toMatchObject({ isRetryable: false });
  } finally {
    await fake.close();
  }
});
