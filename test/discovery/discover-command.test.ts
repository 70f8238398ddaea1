/**
 * `rekey discover` in-process: a real initialised home (SQLite), a credential with a value,
 * planted copies in files and in the Vault fake; the command prints findings and
 * `rekey consumer add` lines, as text and as JSON, and never the value.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { register as registerDiscover } from '../../src/cli/commands/discover-command.js';
import { register as registerInit } from '../../src/cli/commands/init-command.js';
import { withCliContext } from '../../src/cli/cli-context.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { addCredential } from '../../src/vault/credential-service.js';
import { startVaultKvFake, type VaultKvFake } from '../fakes/vault-kv-fake.js';

const value = 'sk-proj-CLIdiscover000000000000000000000000000000001';
const saved = { ...process.env };

async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerInit(program);
  registerDiscover(program);
  let output = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'rekey', ...args]);
  } finally {
    spy.mockRestore();
  }
  return output;
}

describe('rekey discover', () => {
  let directory: string;
  let vault: VaultKvFake;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-discover-cli-'));
    vault = await startVaultKvFake();
    process.env.REKEY_HOME = join(directory, 'home');
    process.env.REKEY_MASTER_KEY = randomBytes(32).toString('base64');
    process.env.VAULT_TOKEN = vault.token;
    process.env.NO_COLOR = '1';
    await run(['init']);
    await withCliContext((context) =>
      addCredential(
        context,
        { name: 'openai/ticketing/prod', provider: 'manual', scope: {}, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy: {} },
        new SecretValue(value),
      ),
    );
    await mkdir(join(directory, 'app'));
    await writeFile(join(directory, 'app', '.env'), `OPENAI_API_KEY=${value}\n`);
    vault.plant('apps/ticketing', { OPENAI_API_KEY: value });
  });
  afterAll(async () => {
    process.env = saved;
    await vault.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('prints findings and consumer add lines, never the value', async () => {
    const text = await run(['discover', 'openai/ticketing/prod', '--root', join(directory, 'app'), '--vault-address', vault.address]);
    expect(text).toContain(`found  ${join(directory, 'app', '.env')}:1 OPENAI_API_KEY`);
    expect(text).toContain('found  vault secret/apps/ticketing (field OPENAI_API_KEY)');
    expect(text).toContain('rekey consumer add openai/ticketing/prod app-env --kind env-file --config-json');
    expect(text).toContain('rekey consumer add openai/ticketing/prod vault-apps-ticketing --kind vault-kv --config-json');
    expect(text).not.toContain(value);

    const json = JSON.parse(await run(['discover', 'openai/ticketing/prod', '--root', join(directory, 'app'), '--json'])) as { findings: unknown[]; proposals: Array<{ kind: string; command: string }> };
    expect(json.findings).toHaveLength(1);
    expect(json.proposals).toEqual([expect.objectContaining({ kind: 'env-file', command: expect.stringContaining('--kind env-file') as unknown as string })]);
  });

  it('is a usage error with nothing to search', async () => {
    await expect(run(['discover', 'openai/ticketing/prod'])).rejects.toThrow(/nothing to search/);
  });
});
