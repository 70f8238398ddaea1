import { expect, it } from 'vitest';
import { createSlackChannel } from '../../../src/alerts/channels/slack-channel.js';
import { createSecretResolver } from '../../../src/alerts/secret-reference.js';
import { runChannelContract, sampleMessage } from '../../contracts/alert-channel.js';
import { startSlackWebhookFake } from '../../fakes/chat-webhook-fakes.js';

runChannelContract('slack', async () => {
  const fake = await startSlackWebhookFake();
  const secrets = createSecretResolver({ environment: { SLACK_OPS_URL: fake.url } });
  return {
    channel: createSlackChannel('ops-slack', { kind: 'slack', urlRef: 'env:SLACK_OPS_URL' }, { secrets }),
    secrets: [fake.secretPath],
    received: async () => fake.messages.map((message) => ({ dedupId: null, action: fake.actionOf(message), text: fake.textOf(message), raw: JSON.stringify(message) })),
    breakTransiently: () => fake.server.failNext(503),
    breakPermanently: () => fake.server.failNext(404),
    withMissingSecret: async () => createSlackChannel('ops-slack', { kind: 'slack', urlRef: 'env:REKEY_CONTRACT_MISSING' }, { secrets }),
    withClearSecret: async () => createSlackChannel('ops-slack', { kind: 'slack', urlRef: fake.url }, { secrets }),
    cleanup: () => fake.close(),
  };
});

it('Slack: the Block Kit message validates (header, mrkdwn escaped, at most 10 fields)', async () => {
  const fake = await startSlackWebhookFake();
  try {
    const channel = createSlackChannel('s', { kind: 'slack', urlRef: 'env:U' }, { secrets: createSecretResolver({ environment: { U: fake.url } }) });
    const many = Array.from({ length: 14 }, (_, index) => ({ label: `fact ${index}`, value: `value ${index}` }));
    await channel.send(sampleMessage('trigger', { event: { ...sampleMessage('trigger').event, facts: many } }));
    const [message] = fake.messages;
    const blocks = message?.['blocks'] as Array<Record<string, unknown>>;
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const fields = blocks.find((block) => Array.isArray(block['fields']))?.['fields'] as unknown[];
    expect(fields.length).toBeLessThanOrEqual(10);
    expect(JSON.stringify(blocks[1])).not.toContain('<&');
    expect(fake.rejectedShapes).toEqual([]);
  } finally {
    await fake.close();
  }
});
