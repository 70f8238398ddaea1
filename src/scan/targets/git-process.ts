import { spawnSafeGit } from '../../git/safe-git.js';
import { UsageError } from '../../core/errors.js';

export interface GitRunOptions {
  cwd: string;
  /** Written to git's standard input (object names, never key values). */
  input?: string | undefined;
  /** Only `rekey hook install`: keep the configured core.hooksPath (read, never run). */
  keepHooksPath?: boolean | undefined;
}

/**
 * Runs git and collects its standard output. The error names the git subcommand and the
 * exit code only: stderr can quote file contents, so it is not carried.
 */
export async function runGit(args: readonly string[], options: GitRunOptions): Promise<Buffer> {
  const child = await spawnSafeGit(args, { cwd: options.cwd, keepHooksPath: options.keepHooksPath });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let stderrBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrBytes += chunk.length;
    });
    child.on('error', (error) => {
      reject(new UsageError(`could not run git (${args[0] ?? ''}): ${error.message}`, { hint: 'install git or add it to PATH' }));
    });
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new UsageError(`git ${args[0] ?? ''} failed with exit code ${code ?? 'signal'} in ${options.cwd}`, {
        hint: stderrBytes > 0 ? 'is this a git repository?' : undefined,
      }));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The work tree root containing `directory`, or undefined when it is not in a git work tree. */
export async function gitTopLevel(directory: string): Promise<string | undefined> {
  try {
    const output = await runGit(['rev-parse', '--show-toplevel'], { cwd: directory });
    const top = output.toString('utf8').trim();
    return top.length > 0 ? top : undefined;
  } catch {
    return undefined;
  }
}
