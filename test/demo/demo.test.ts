/**
 * `npm run demo` is the README's first command: run it as a user would (the built
 * script, a real emulator, a real app process) and check what it promises.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DEMO = resolve(import.meta.dirname, '../../dist/src/demo/demo-main.js');

describe('npm run demo', () => {
  it('rotates under load with 0 failed requests and reports the emergency time to old key dead', () => {
    const run = spawnSync(process.execPath, [DEMO, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      requests: { ok: number; failed: number };
      normalRotations: { count: number; failedRequests: number; rotations: Array<{ state: string }> };
      emergency: { state: string; secondsToOldKeyDead: number };
      versions: Array<{ number: number; stage: string }>;
      timeline: Array<{ step: string }>;
    };
    expect(summary.requests.ok).toBeGreaterThan(200);
    expect(summary.normalRotations.count).toBe(3);
    expect(summary.normalRotations.failedRequests).toBe(0);
    expect(summary.normalRotations.rotations.every((rotation) => rotation.state === 'done')).toBe(true);
    expect(summary.emergency.state).toBe('done');
    expect(summary.emergency.secondsToOldKeyDead).toBeGreaterThan(0);
    expect(summary.emergency.secondsToOldKeyDead).toBeLessThan(30);
    expect(summary.versions.filter((version) => version.stage === 'current')).toHaveLength(1);
    expect(summary.versions.filter((version) => version.stage === 'revoked')).toHaveLength(4);
    expect(summary.timeline.some((entry) => entry.step === 'watch-grace')).toBe(true);
  }, 150_000);
});
