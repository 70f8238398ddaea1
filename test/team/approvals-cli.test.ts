/**
 * `rekey approvals` through the real binary on SQLite: a policy, a request, the requester
 * refused as approver, an approval with the approver's TOTP code, a signed link that works
 * once (the replay refused), and a policy with zero approvers refused at the edge.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/team/totp.js';
import { runRekey, temporaryHome } from '../helpers/cli-runner.js';

describe('rekey approvals (local mode)', () => {
  let env: Record<string, string>;
  let bobSecret = '';
  // The next step's code (one step ahead is accepted): enrolment just spent the current one.
  const nextCode = () => totpCode(bobSecret, new Date(Date.now() + 30_000));
  const rekey = (args: string[], input?: string) => runRekey(args, { env, input, timeoutMs: 60_000 });
  const must = async (args: string[], input?: string) => {
    const result = await rekey(args, input);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    env = { REKEY_HOME: temporaryHome() };
    await must(['init']);
    await must(['credential', 'add', 'manual/billing/prod', '--provider', 'manual', '--environment', 'prod', '--read-value'], 'sk-test-APPROVALSvalue0123456789abcdefXY\n');
    await must(['user', 'add', 'alice', '--no-password', '--group', 'platform']);
    await must(['user', 'add', 'bob', '--no-password', '--group', 'platform', '--group', 'security']);
    await must(['role', 'bind', 'operator', '--group', 'platform']);
    bobSecret = (JSON.parse((await must(['mfa', 'enroll', 'bob', '--json'])).stdout) as { secret: string }).secret;
    await must(['mfa', 'confirm', 'bob', '--code-stdin'], `${totpCode(bobSecret, new Date())}\n`);
  }, 120_000);

  it('requests, refuses self-approval, approves with the approver code, and spends a link once', async () => {
    const zero = await rekey(['approvals', 'policy', 'add', 'none', '--capability', 'rotate', '--approvals', '0', '--approver-group', 'security']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--approvals must be a whole number from 1 to 10, got 0');
    await must(['approvals', 'policy', 'add', 'prod-rotate', '--capability', 'rotate', '--environment', 'prod', '--approvals', '1', '--approver-group', 'security', '--ttl', '30m']);

    const asked = JSON.parse((await must(['approvals', 'request', 'rotate', '--as', 'alice', '--credential', 'manual/billing/prod', '--param', 'kind=manual', '--reason', 'quarterly', '--json'])).stdout) as { id: string };
    const self = await rekey(['approvals', 'approve', asked.id, '--as', 'alice', '--code-stdin'], '123456\n');
    expect(self.code).not.toBe(0);
    expect(self.stderr).toContain('alice has no MFA enrolled');
    const approved = await must(['approvals', 'approve', asked.id, '--as', 'bob', '--code-stdin', '--comment', 'checked the plan'], `${nextCode()}\n`);
    expect(approved.stdout).toContain(`approved ${asked.id} as bob; request is approved`);
    const show = JSON.parse((await must(['approvals', 'show', asked.id, '--json'])).stdout) as { status: string; plan: unknown; decisions: Array<{ approver: string; via: string }> };
    expect(show).toMatchObject({ status: 'approved', plan: { action: 'rotate manual/billing/prod', parameters: { kind: 'manual' } }, decisions: [{ approver: 'bob', via: 'cli' }] });

    // bob asks: nobody but bob is in security, so the request cannot be met and is refused (fail closed).
    const unmet = await rekey(['approvals', 'request', 'rotate', '--as', 'bob', '--credential', 'manual/billing/prod']);
    expect(unmet.code).not.toBe(0);
    expect(unmet.stderr).toContain('needs 1 approver(s) other than bob, and only 0 can approve');
    await must(['user', 'add', 'carol', '--no-password', '--group', 'security', '--group', 'platform']);
    const second = JSON.parse((await must(['approvals', 'request', 'rotate', '--as', 'bob', '--credential', 'manual/billing/prod', '--json'])).stdout) as { id: string };
    expect((await rekey(['approvals', 'link', second.id, '--approver', 'bob'])).stderr).toContain('links go to another person');
    const links = JSON.parse((await must(['approvals', 'link', second.id, '--approver', 'carol', '--json'])).stdout) as { approve: string; deny: string };
    expect(links.deny).toMatch(/^http:\/\/127\.0\.0\.1:8787\/v1\/approvals\/links\/[\w-]+\.[\w-]+$/);
    expect((await must(['approvals', 'redeem'], `${links.deny}\n`)).stdout).toContain(`request ${second.id} is denied`);
    const replay = await rekey(['approvals', 'redeem'], `${links.deny}\n`);
    expect(replay.code).not.toBe(0);
    expect(replay.stderr).toContain('this approval link was used already');
    const list = JSON.parse((await must(['approvals', 'list', '--json'])).stdout) as Array<{ id: string; status: string }>;
    expect(list.map((request) => [request.id, request.status])).toEqual([[second.id, 'denied'], [asked.id, 'approved']]);
  }, 120_000);
});
