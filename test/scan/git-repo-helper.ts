import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A throwaway git repository for tests. */
export function createTempRepository(prefix = 'rekey-scan-repo-'): {
  root: string;
  git: (...args: string[]) => string;
  write: (path: string, content: string | Buffer) => void;
} {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada Tester', GIT_AUTHOR_EMAIL: 'ada@example.test',
        GIT_COMMITTER_NAME: 'Ada Tester', GIT_COMMITTER_EMAIL: 'ada@example.test',
        GIT_CONFIG_NOSYSTEM: '1',
        // A pre-commit hook that runs rekey sees no vault.
        REKEY_HOME: join(root, '.rekey-home-absent'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Ada Tester');
  git('config', 'user.email', 'ada@example.test');
  git('config', 'commit.gpgsign', 'false');
  const write = (path: string, content: string | Buffer): void => {
    const absolute = join(root, path);
    mkdirSync(dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
  };
  return { root, git, write };
}
