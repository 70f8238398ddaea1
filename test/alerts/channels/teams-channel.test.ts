import { createTeamsChannel } from '../../../src/alerts/channels/teams-channel.js';
import { createSecretResolver } from '../../../src/alerts/secret-reference.js';
import { runChannelContract } from '../../contracts/alert-channel.js';
import { startTeamsWebhookFake } from '../../fakes/chat-webhook-fakes.js';

runChannelContract('teams', async () => {
  const fake = await startTeamsWebhookFake();
  const secrets = createSecretResolver({ environment: { TEAMS_OPS_URL: fake.url } });
  return {
    channel: createTeamsChannel('ops-teams', { kind: 'teams', urlRef: 'env:TEAMS_OPS_URL' }, { secrets }),
    secrets: [fake.secretPath],
    received: async () => fake.messages.map((message) => ({ dedupId: null, action: fake.actionOf(message), text: fake.textOf(message), raw: JSON.stringify(message) })),
    breakTransiently: () => fake.server.failNext(502),
    breakPermanently: () => fake.server.failNext(400),
    withMissingSecret: async () => createTeamsChannel('ops-teams', { kind: 'teams', urlRef: 'vault:alerts/missing' }, { secrets: createSecretResolver({ environment: {}, vaultCurrent: async () => undefined }) }),
    withClearSecret: async () => createTeamsChannel('ops-teams', { kind: 'teams', url: fake.url } as never, { secrets }),
    cleanup: () => fake.close(),
  };
});
