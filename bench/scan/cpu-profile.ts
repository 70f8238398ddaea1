/** Where the time went: `node --cpu-prof` on one rekey scan, summarised by self time per function. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }

export function profileScan(script: string, args: readonly string[], top = 12): { totalMilliseconds: number; topSelfTime: Array<{ function: string; milliseconds: number; share: number }> } {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-scan-prof-'));
  try {
    spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', directory, script, ...args], { env: { ...process.env, REKEY_SCAN_WORKERS: '1' }, stdio: 'ignore' });
    const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('node --cpu-prof wrote no profile');
    const profile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, index) => {
      const node = byId.get(id);
      const delta = profile.timeDeltas[index] ?? 0;
      total += delta;
      if (node === undefined) return;
      const where = node.callFrame.url.replace(/.*\/(dist|node_modules)\//, '');
      const name = `${node.callFrame.functionName || '(anonymous)'}${where === '' ? '' : ` ${where}:${node.callFrame.lineNumber + 1}`}`;
      self.set(name, (self.get(name) ?? 0) + delta);
    });
    const topSelfTime = [...self].sort((left, right) => right[1] - left[1]).slice(0, top)
      .map(([name, micros]) => ({ function: name, milliseconds: Number((micros / 1000).toFixed(1)), share: Number((micros / total).toFixed(3)) }));
    return { totalMilliseconds: Number((total / 1000).toFixed(1)), topSelfTime };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
