import { describe, expect, it } from 'vitest';
import { assertNoSecretInDetail } from './audit-detail-guard.js';

describe('assertNoSecretInDetail', () => {
  it('rejects a provider key anywhere, naming the field and never the value', () => {
    const value = 'sk-proj-Q7abcdEFGH1234ijklMNOP5678';
    for (const detail of [{ value }, { note: `found ${value} in a log` }, { nested: { list: ['x', value] } }, { key: 'sk-ant-api03-AbCdEf0123456789xyz' }]) {
      let message = '';
      try {
        assertNoSecretInDetail(detail);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/looks like a key value/);
      expect(message).not.toContain(value);
    }
  });

  it('rejects a long token-like string under a secret-sounding field', () => {
    expect(() => assertNoSecretInDetail({ apiToken: 'Zx81kLmQ0pR7sT2uV5wX9yA3bC6dE4fG' })).toThrow(/detail\.apiToken/);
    expect(() => assertNoSecretInDetail({ secrets: [{ raw: 'Zx81kLmQ0pR7sT2uV5wX9yA3bC6dE4fG' }] })).toThrow(/detail\.secrets\[0\]\.raw/);
  });

  it('still rejects a real key put in an id field', () => {
    expect(() => assertNoSecretInDetail({ providerKeyId: 'sk-ant-api03-AbCdEf0123456789xyzAA' })).toThrow(/detail\.providerKeyId/);
  });

  it('lets hints, fingerprints, ids, names and prose through', () => {
    expect(() =>
      assertNoSecretInDetail({
        hint: 'sk-proj-…Ab3d',
        keyFingerprint: 'ab'.repeat(32),
        providerKeyId: 'key_hPrRNBpn2aOV4tL5',
        oldProviderKeyId: 'apikey_01Rj2N8SVvo6BePZj99NhmiT',
        serviceAccountIds: ['svc_acct_7Qp2Lm9Xz4Rt8Wy1Kb5Nc3Vd'],
        valueSource: 'stdin',
        credential: 'openai/task-management/prod',
        message: 'the key was revoked after 15 minutes of quiet',
        versions: [1, 2],
      }),
    ).not.toThrow();
  });
});
