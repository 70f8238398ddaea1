/** The package's public entries resolve through package.json "exports" as users import them. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function importInChild(code: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
}

describe('package entries', () => {
  it('"rekey-cli" exports redaction for application loggers and the core types', () => {
    const key = ['sk-proj-', 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90', 'T3BlbkFJ', 'Uv12Wx34Yz56Ab78Cd90Ef12Gh34Ij56'].join('');
    const run = importInChild(`
      const rekey = await import('rekey-cli');
      const line = rekey.redact(${JSON.stringify(`request failed with key ${key}`)});
      const secret = new rekey.SecretValue('sk-abcdefghijklmnop1234');
      console.log(JSON.stringify({ line, secret: String(secret), hasErrors: typeof rekey.UsageError === 'function' }));`);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { line: string; secret: string; hasErrors: boolean };
    expect(result.line).not.toContain(key);
    expect(result.line).toMatch(/request failed with key \[REDACTED sk-proj-…Ij56\]/);
    expect(result.secret).not.toContain('abcdefghijklmnop');
    expect(result.hasErrors).toBe(true);
  });

  it('"rekey-cli/sdk" resolves to the runtime SDK', () => {
    const run = importInChild(`const sdk = await import('rekey-cli/sdk'); console.log(typeof sdk.createKeySource);`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('function');
  });

  it('"rekey-cli" exports the alert webhook check: a signed delivery passes once, its replay and a forged one do not', () => {
    const run = importInChild(`
      const { createHmac, randomBytes } = await import('node:crypto');
      const { verifyStandardWebhook, createReplayGuard } = await import('rekey-cli');
      const raw = randomBytes(32);
      const secret = 'whsec_' + raw.toString('base64');
      const body = JSON.stringify({ kind: 'rotation-held', action: 'trigger' });
      const id = 'msg_0123456789abcdef01234567';
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = 'v1,' + createHmac('sha256', raw).update(id + '.' + timestamp + '.' + body).digest('base64');
      const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
      const replayGuard = createReplayGuard();
      const first = verifyStandardWebhook(secret, headers, body, { replayGuard });
      const again = verifyStandardWebhook(secret, headers, body, { replayGuard });
      const forged = verifyStandardWebhook(secret, headers, body.replace('held', 'done'));
      console.log(JSON.stringify([first.ok, again.ok ? 'ok' : again.reason, forged.ok ? 'ok' : forged.reason]));`);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([true, 'replay', 'bad-signature']);
  });
});
