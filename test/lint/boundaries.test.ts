import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer guards of eslint.config.js (README, Architecture) fire on deliberate violations and
 * stay quiet on code that keeps to the layers. Each probe is linted as if it were a file at the
 * given path; the files it imports are the real ones on disk.
 */
const root = resolve(import.meta.dirname, '../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function lint(filePath: string, text: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(text, { filePath: join(root, filePath) });
  if (result === undefined) throw new Error(`no lint result for ${filePath}`);
  return result.messages;
}

function rulesOf(messages: Linter.LintMessage[]): (string | null)[] {
  return messages.map((message) => message.ruleId);
}

describe('layer guards', () => {
  it('refuses proxy/ importing server/ and server/ importing proxy/', async () => {
    const proxy = await lint('src/proxy/probe.ts', "import { createServerApp } from '../server/server-app.js';\nexport const probe = createServerApp;\n");
    expect(rulesOf(proxy)).toEqual(['import-x/no-restricted-paths']);
    expect(proxy[0]?.message).toContain('src/proxy/ stands on the faces floor');

    const server = await lint('src/server/probe.ts', "import { startProxy } from '../proxy/proxy-server.js';\nexport const probe = startProxy;\n");
    expect(rulesOf(server)).toEqual(['import-x/no-restricted-paths']);
    expect(server[0]?.message).toContain('src/server/ stands on the faces floor');
  });

  it('refuses store internals outside src/store/ (server, cli, tests)', async () => {
    for (const [filePath, source] of [
      ['src/server/probe.ts', '../store/sql/sql-store.js'],
      ['src/cli/commands/probe.ts', '../../store/sqlite/sqlite-store.js'],
      ['src/access/probe.ts', '../store/postgres/postgres-store.js'],
      ['test/server/probe.test.ts', '../../src/store/sql/sql-rows.js'],
    ] as const) {
      const messages = await lint(filePath, `import * as internals from '${source}';\nexport const probe = internals;\n`);
      expect(rulesOf(messages), filePath).toEqual(['import-x/no-restricted-paths']);
      expect(messages[0]?.message).toContain('not its SQL internals');
    }
    expect(await lint('src/store/probe.ts', "import * as internals from './sql/sql-store.js';\nexport const probe = internals;\n")).toEqual([]);
  });

  it('refuses pg and better-sqlite3 outside src/store/, static, type-only or dynamic', async () => {
    const messages = await lint(
      'src/rotation/probe.ts',
      [
        "import pg from 'pg';",
        "import type { Database } from 'better-sqlite3';",
        "export async function probe(db: Database) { return [pg, db, await import('pg')]; }",
        '',
      ].join('\n'),
    );
    expect(messages.map((message) => [message.ruleId, message.line])).toEqual([
      ['import-x/no-restricted-paths', 1],
      ['import-x/no-restricted-paths', 2],
      ['import-x/no-restricted-paths', 3],
    ]);
    expect(messages.every((message) => message.message.includes('Only src/store/ talks to the database drivers'))).toBe(true);
    expect(await lint('src/store/postgres/probe.ts', "import pg from 'pg';\nexport const probe = pg;\n")).toEqual([]);
  });

  it('refuses a lower floor importing a higher one, and a room importing a neighbour not named beside it', async () => {
    // audit/ imports store/; store/ importing audit/ would close a folder-level cycle.
    const store = await lint('src/store/probe.ts', "import { verifyAuditChain } from '../audit/audit-chain.js';\nexport const probe = verifyAuditChain;\n");
    expect(rulesOf(store)).toEqual(['import-x/no-restricted-paths']);
    expect(store[0]?.message).toContain('src/store/ stands on the foundations floor');
    // rotation/ imports vault/; the reverse is refused.
    const vault = await lint('src/vault/probe.ts', "import { createRotationExecutor } from '../rotation/rotation-executor.js';\nexport const probe = createRotationExecutor;\n");
    expect(rulesOf(vault)).toEqual(['import-x/no-restricted-paths']);
    // core/ imports nothing else in src/.
    const core = await lint('src/core/probe.ts', "import { openStore } from '../store/open-store.js';\nexport const probe = openStore;\n");
    expect(rulesOf(core)).toEqual(['import-x/no-restricted-paths']);
    // The SDK stands on core/ only.
    const sdk = await lint('src/sdk/probe.ts', "import { createVault } from '../vault/vault.js';\nexport const probe = createVault;\n");
    expect(rulesOf(sdk)).toContain('import-x/no-restricted-paths');
  });

  it('refuses an import cycle between files', async () => {
    // rotation-executor.ts imports rotation-machine.ts; the machine importing the executor closes a cycle.
    const machine = readFileSync(join(root, 'src/rotation/rotation-machine.ts'), 'utf8');
    expect(readFileSync(join(root, 'src/rotation/rotation-executor.ts'), 'utf8')).toMatch(/import \{[^}]*\bstartRotation\b[^}]*\} from '\.\/rotation-machine\.js'/);
    const messages = await lint('src/rotation/rotation-machine.ts', `${machine}\nimport './rotation-executor.js';\n`);
    expect(rulesOf(messages)).toEqual(['import-x/no-cycle']);
  });

  it('accepts files that keep to the layers', async () => {
    for (const filePath of ['src/proxy/proxy-server.ts', 'src/cli/cli-services.ts']) {
      expect(await lint(filePath, readFileSync(join(root, filePath), 'utf8')), filePath).toEqual([]);
    }
    const clean = await lint(
      'src/proxy/probe.ts',
      "import { createTokenVerifier } from '../access/token-verifier.js';\nimport { SecretValue } from '../core/secret-value.js';\nexport const probe = [createTokenVerifier, SecretValue];\n",
    );
    expect(clean).toEqual([]);
  });

  it('has a layer rule for every room of src/', async () => {
    const rooms = readdirSync(join(root, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(rooms.length).toBeGreaterThan(10);
    for (const room of rooms) {
      const config = (await eslint.calculateConfigForFile(join(root, 'src', room, 'probe.ts'))) as Linter.Config;
      const setting = config.rules?.['import-x/no-restricted-paths'];
      const zones = Array.isArray(setting) ? (setting[1] as { zones: { target: string | string[] }[] }).zones : [];
      expect(zones.some((zone) => zone.target === `src/${room}`), `src/${room}/ has no layer rule in eslint.config.js`).toBe(true);
    }
  });
});
