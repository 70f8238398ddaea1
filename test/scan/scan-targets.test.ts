import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { createScanService } from '../../src/scan/scan-service.js';
import { createTempRepository } from './git-repo-helper.js';

const random = seededRandom(21);
const repositories: string[] = [];
afterAll(() => {
  for (const root of repositories) rmSync(root, { recursive: true, force: true });
});

function repository() {
  const created = createTempRepository();
  repositories.push(created.root);
  return created;
}

describe('scan targets', () => {
  it('respects .gitignore unless noIgnore, skips binaries and marked directories', async () => {
    const { root, write } = repository();
    const visible = fakeKey('groq-api-key', random);
    const ignored = fakeKey('xai-api-key', random);
    const marked = fakeKey('perplexity-api-key', random);
    write('.gitignore', 'secret.env\n');
    write('app/config.ts', `export const key = '${visible}';\n`);
    write('secret.env', `XAI_API_KEY=${ignored}\n`);
    write('corpus/.rekey-scan-ignore', '');
    write('corpus/sample.txt', `${marked}\n`);
    write('image.bin', Buffer.concat([Buffer.from([0, 0, 1, 0]), Buffer.from(visible)]));
    const service = createScanService();

    const ignoring = await service.scan({ paths: [root] });
    expect(ignoring.findings.map((finding) => [finding.location.path, finding.detectorId])).toEqual([
      ['app/config.ts', 'groq-api-key'],
    ]);
    expect(ignoring.stats.binaries).toBe(1);

    const all = await service.scan({ paths: [root], noIgnore: true });
    expect(all.findings.map((finding) => finding.location.path).sort()).toEqual(['app/config.ts', 'secret.env']);
    expect(all.findings.every((finding) => !JSON.stringify(finding).includes(visible) && !JSON.stringify(finding).includes(ignored))).toBe(true);
  });

  it.skipIf(process.platform !== 'linux')('names files it could not read instead of reporting them clean (linux: /proc/self/mem fails to read)', async () => {
    // A regular file that opens but cannot be read, even as root.
    const report = await createScanService().scan({ paths: ['/proc/self/mem'] });
    expect(report.unreadable).toEqual([{ path: '/proc/self/mem', reason: 'EIO' }]);
    expect(report.stats.unreadable).toBe(1);
    expect(report.stats.files).toBe(0);
  });

  it('scans every blob of every branch once, naming commit, author and path', async () => {
    const { root, git, write } = repository();
    const removed = fakeKey('anthropic-api-key', random);
    const onBranch = fakeKey('openai-project-key', random);
    write('README.md', 'hello\n');
    git('add', '.');
    git('commit', '-q', '-m', 'start');
    write('config/dev.env', `ANTHROPIC_API_KEY=${removed}\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'add key');
    const leakCommit = git('rev-parse', 'HEAD').trim();
    git('rm', '-q', 'config/dev.env');
    git('commit', '-q', '-m', 'remove key');
    // The same blob again under another name: scanned once.
    write('copy/dev.env', `ANTHROPIC_API_KEY=${removed}\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'copy');
    git('checkout', '-q', '-b', 'feature');
    write('src/client.py', `client = OpenAI(api_key="${onBranch}")\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'feature key');
    git('checkout', '-q', 'main');

    const report = await createScanService().scan({ gitHistory: root });
    const byDetector = new Map(report.findings.map((finding) => [finding.detectorId, finding]));
    expect(report.findings).toHaveLength(2);
    expect(byDetector.get('anthropic-api-key')?.location).toMatchObject({
      source: 'git', path: 'config/dev.env', commit: leakCommit, author: 'Ada Tester <ada@example.test>', line: 1, column: 19,
    });
    expect(byDetector.get('openai-project-key')?.location.path).toBe('src/client.py');
  });

  it('scans only lines added by the staged changes', async () => {
    const { root, git, write } = repository();
    const old = fakeKey('huggingface-access-token', random);
    const added = fakeKey('replicate-api-token', random);
    write('settings.yaml', `hf: ${old}\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'old key');
    write('settings.yaml', `hf: ${old}\nreplicate: ${added}\n`);
    git('add', '.');
    write('settings.yaml', 'unstaged edit, no key\n');
    const report = await createScanService().scan({ staged: root });
    expect(report.findings.map((finding) => [finding.detectorId, finding.location.line])).toEqual([['replicate-api-token', 2]]);
  });

  it('scans a stream and reports a finding as soon as its line is complete', async () => {
    const key = fakeKey('google-api-key', random);
    const stream = new PassThrough();
    let announce: () => void = () => undefined;
    const reported = new Promise<void>((resolve) => {
      announce = resolve;
    });
    const scanning = createScanService().scan({ stream, streamName: 'app.log' }, { onFinding: () => announce() });
    stream.write('boot ok\n');
    stream.write(`using key ${key} for gemini\n`);
    // The stream stays open: the finding must arrive before the end of input.
    await reported;
    stream.end('more log\n');
    const report = await scanning;
    expect(report.findings.map((finding) => [finding.location.line, finding.location.path])).toEqual([[2, 'app.log']]);
  });
});
