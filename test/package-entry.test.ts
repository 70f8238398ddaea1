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
});
