/**
 * Files under the given roots: env files, JSON and YAML configs, and any other text file.
 * Each file is split into tokens and only tokens of the key's length are fingerprinted;
 * when one matches, an env/JSON/YAML file is parsed to name the variable or JSON Pointer,
 * which becomes an env-file / json-file / yaml-file consumer proposal. A file inside a git
 * working tree that git tracks is flagged: the key is committed, which is a leak.
 */
import { existsSync } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { spawnSafeGit } from '../git/safe-git.js';
import { parseEnv } from '../sinks/env-file-format.js';
import { proposalName, type ConsumerProposal, type DiscoveryFinding, type DiscoverySource, type DiscoveryTarget } from './discovery-spec.js';

export interface FileDiscoveryOptions {
  roots: string[];
  /** Larger files are skipped. Default 2 MiB. */
  maxFileBytes?: number;
  /** Stop after this many files. Default 50,000. */
  maxFiles?: number;
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', '.hg', '.svn', '.venv', '__pycache__']);

const isEnvFile = (path: string): boolean => /^\.env(\..+)?$|\.env$/.test(basename(path));
const isJsonFile = (path: string): boolean => /\.json$/i.test(path);
const isYamlFile = (path: string): boolean => /\.ya?ml$/i.test(path);

async function* walk(root: string, state: { files: number; maxFiles: number }): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (state.files >= state.maxFiles) return;
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) yield* walk(path, state);
    } else if (entry.isFile()) {
      state.files += 1;
      yield path;
    }
  }
}

async function readText(path: string, maxBytes: number): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined || !info.isFile() || info.size > maxBytes) return undefined;
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    const buffer = await handle.readFile();
    if (buffer.subarray(0, 8192).includes(0)) return undefined;
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Lines (1-based) holding a token equal to the key. */
function matchingLines(text: string, target: DiscoveryTarget): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.length < target.length) return;
    for (const token of line.split(/[\s"'`=:,;()[\]{}<>]+/)) {
      if (token.length === target.length && target.matches(token)) {
        lines.push(index + 1);
        return;
      }
    }
  });
  return lines;
}

/** JSON Pointers of string leaves equal to the key. */
function matchingPointers(value: unknown, target: DiscoveryTarget, path: string[] = []): string[] {
  if (typeof value === 'string') return target.matches(value) ? ['/' + path.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => matchingPointers(item, target, [...path, String(index)]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, item]) => matchingPointers(item, target, [...path, key]));
  return [];
}

function proposalsFor(path: string, text: string, target: DiscoveryTarget): Array<{ proposal: ConsumerProposal; where: string }> {
  const folder = basename(dirname(path));
  try {
    if (isEnvFile(path)) {
      const names = parseEnv(text)
        .entries.filter((entry) => entry.kind === 'assignment' && target.matches(entry.value))
        .map((entry) => (entry.kind === 'assignment' ? entry.name : ''));
      // Versioned copies (`NAME_V3`) are rekey's own slots, not separate consumers.
      const main = [...new Set(names)].filter((name) => !/_V\d+$/.test(name) || !names.includes(name.replace(/_V\d+$/, '')));
      return main.map((name) => ({ where: name, proposal: { name: proposalName(folder, 'env'), kind: 'env-file', config: { path, name } } }));
    }
    if (isJsonFile(path)) {
      return matchingPointers(JSON.parse(text) as unknown, target).map((pointer) => ({ where: pointer, proposal: { name: proposalName(folder, 'json'), kind: 'json-file', config: { path, pointer } } }));
    }
    if (isYamlFile(path)) {
      const document = parseDocument(text);
      if (document.errors.length > 0) return [];
      return matchingPointers(document.toJS() as unknown, target).map((pointer) => ({ where: pointer, proposal: { name: proposalName(folder, 'yaml'), kind: 'yaml-file', config: { path, pointer } } }));
    }
  } catch {
    // Unparseable: still reported by line, just without a proposal.
  }
  return [];
}

function gitRootOf(path: string): string | undefined {
  for (let directory = dirname(path); ; directory = dirname(directory)) {
    if (existsSync(join(directory, '.git'))) return directory;
    if (dirname(directory) === directory) return undefined;
  }
}

async function isTrackedByGit(root: string, path: string): Promise<boolean> {
  const child = await spawnSafeGit(['ls-files', '--error-unmatch', '--', relative(root, path)], { cwd: root, stderr: 'ignore' });
  child.stdin.end();
  child.stdout.resume();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill(), 10_000);
    child.on('error', () => resolvePromise(false));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise(code === 0);
    });
  });
}

export function createFileDiscoverySource(options: FileDiscoveryOptions): DiscoverySource {
  const maxFileBytes = options.maxFileBytes ?? 2 * 1024 * 1024;
  return {
    name: 'files',
    async discover(target) {
      const findings: DiscoveryFinding[] = [];
      const state = { files: 0, maxFiles: options.maxFiles ?? 50_000 };
      for (const root of options.roots.map((candidate) => resolve(candidate))) {
        for await (const path of walk(root, state)) {
          const text = await readText(path, maxFileBytes);
          if (text === undefined) continue;
          const lines = matchingLines(text, target);
          if (lines.length === 0) continue;
          const notes: string[] = [];
          const gitRoot = gitRootOf(path);
          if (gitRoot !== undefined && (await isTrackedByGit(gitRoot, path))) notes.push(`committed to git in ${gitRoot}: the key is in the repository (a leak; rotate it)`);
          const proposals = proposalsFor(path, text, target);
          if (proposals.length === 0) {
            notes.push(isEnvFile(path) || isJsonFile(path) || isYamlFile(path) ? 'could not tell which entry holds it' : 'no sink writes this kind of file');
            findings.push({ source: 'files', status: 'match', location: `${path}:${lines.join(',')}`, notes });
            continue;
          }
          for (const { proposal, where } of proposals) findings.push({ source: 'files', status: 'match', location: `${path}:${lines.join(',')} ${where}`, proposal, notes });
        }
      }
      return findings;
    },
  };
}
