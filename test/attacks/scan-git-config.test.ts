/**
 * Attack (issue #17, item 3): a scanned repository's own `.git/config` names programs git
 * would run — `core.fsmonitor`, external diff, textconv, clean filters, hooks. Before the
 * fix those programs ran with rekey's full environment, so the master key and the admin
 * keys reached a script the repository's author wrote. Every git call in the scanner and
 * in discovery must run none of them and hand git no secret.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createDiscoveryTarget } from '../../src/discovery/discovery-spec.js';
import { createFileDiscoverySource } from '../../src/discovery/file-discovery.js';
import { safeGitEnvironment } from '../../src/git/safe-git.js';
import { listFiles } from '../../src/scan/targets/file-targets.js';
import { scanGitHistory } from '../../src/scan/targets/git-history.js';
import { scanStagedChanges } from '../../src/scan/targets/staged-changes.js';
import { createTempRepository } from '../scan/git-repo-helper.js';

const MASTER = `rekey-master-${randomBytes(12).toString('hex')}`;
const ADMIN = `sk-admin-${randomBytes(20).toString('hex')}`;
const LEAKED = `sk-proj-${randomBytes(24).toString('hex')}T3BlbkFJ${randomBytes(24).toString('hex')}`;
const planted = { REKEY_MASTER_KEY: MASTER, OPENAI_ADMIN_KEY: ADMIN, REKEY_PASSPHRASE: MASTER };

describe('attack: repository-controlled git executables', () => {
  const repository = createTempRepository('rekey-git-attack-');
  const trace = join(repository.root, '..', `${repository.root.split('/').pop() ?? 'x'}-trace.txt`);
  const saved: Record<string, string | undefined> = {};

  beforeAll(() => {
    // One script for every hook point; it records that it ran and the environment it got.
    const script = join(repository.root, '.git', 'evil.sh');
    writeFileSync(script, `#!/bin/sh\n{ echo "ran $0 $*"; env; } >> '${trace}'\ncat\n`);
    chmodSync(script, 0o755);
    repository.write('.gitattributes', '*.txt diff=evil filter=evil\n');
    repository.write('notes.txt', 'first\n');
    repository.git('add', '.');
    repository.git('commit', '-q', '-m', 'one');
    for (const [key, value] of [
      ['core.fsmonitor', script], ['diff.external', script], ['diff.evil.textconv', script], ['diff.evil.command', script],
      ['filter.evil.clean', script], ['filter.evil.smudge', script], ['filter.evil.process', script], ['core.hooksPath', join(repository.root, '.git')],
      ['core.sshCommand', script], ['core.pager', script],
    ] as const) repository.git('config', key, value);
    repository.write('notes.txt', `first\nsecond ${LEAKED}\n`);
    repository.git('-c', 'core.fsmonitor=false', '-c', 'filter.evil.clean=cat', '-c', 'filter.evil.process=', 'add', 'notes.txt');
    for (const [name, value] of Object.entries(planted)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('runs none of them in a file scan, a history scan, a staged scan or discovery, and git sees no secret', async () => {
    const listed: string[] = [];
    for await (const file of listFiles(repository.root)) listed.push(file.relative);
    const history = await scanGitHistory(repository.root, () => undefined);
    const staged = await scanStagedChanges(repository.root);
    const salt = randomBytes(32);
    const target = createDiscoveryTarget({ fingerprintSalt: salt, fingerprint: fingerprint(salt, LEAKED), length: LEAKED.length });
    const findings = await createFileDiscoverySource({ roots: [repository.root] }).discover(target);

    const ran = existsSync(trace) ? readFileSync(trace, 'utf8') : '';
    expect(ran.includes(MASTER), 'the master key reached a repository-controlled program').toBe(false);
    expect(ran.includes(ADMIN), 'an admin key reached a repository-controlled program').toBe(false);
    expect(ran, 'a repository-controlled program ran').toBe('');
    // And the scans still did their work.
    expect(listed).toContain('notes.txt');
    expect(history.blobs).toBeGreaterThan(0);
    expect(staged.map((found) => found.path)).toEqual(['notes.txt']);
    expect(findings.some((finding) => finding.location.includes('notes.txt'))).toBe(true);
  });

  it('hands git only PATH, HOME and the GIT_* variables a hook is given', () => {
    const environment = safeGitEnvironment({ ...planted, PATH: '/usr/bin', HOME: '/home/x', GIT_INDEX_FILE: '/i', GIT_SSH_COMMAND: 'x', GIT_CONFIG_COUNT: '1' });
    expect(Object.values(environment)).not.toContain(MASTER);
    expect(Object.keys(environment).sort()).toEqual(['GIT_CONFIG_NOSYSTEM', 'GIT_INDEX_FILE', 'GIT_OPTIONAL_LOCKS', 'GIT_PAGER', 'GIT_TERMINAL_PROMPT', 'HOME', 'LC_ALL', 'PATH']);
  });
});
