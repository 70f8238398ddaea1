/** The CI templates in docs/ci are valid YAML and run the gate and the scheduled rotation. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const docs = join(import.meta.dirname, '..', '..', 'docs', 'ci');

function scripts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(scripts);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(scripts);
  return [];
}

describe('CI templates', () => {
  it('the GitHub Actions workflow runs rekey check (SARIF uploaded) and rekey rotate --due on a schedule', () => {
    const workflow = parse(readFileSync(join(docs, 'github-actions.yml'), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, { steps: Array<{ run?: string; uses?: string }> }> };
    expect(workflow.on['schedule']).toBeDefined();
    const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? step.uses ?? ''));
    expect(runs).toContain('rekey check rekey.yaml --format sarif --out-file rekey.sarif');
    expect(runs).toContain('github/codeql-action/upload-sarif@v3');
    expect(runs).toContain('rekey rotate --due');
  });

  it('the GitLab CI job runs rekey check with a JUnit report and rekey rotate --due in scheduled pipelines', () => {
    const pipeline = parse(readFileSync(join(docs, 'gitlab-ci.yml'), 'utf8')) as Record<string, { artifacts?: { reports?: { junit?: string } }; rules?: Array<{ if: string }> }>;
    expect(pipeline['rekey-check']?.artifacts?.reports?.junit).toBe('rekey-junit.xml');
    expect(scripts(pipeline['rekey-check'])).toContain('rekey check rekey.yaml --format junit --out-file rekey-junit.xml || status=$?');
    expect(pipeline['rekey-rotate-due']?.rules?.[0]?.if).toBe('$CI_PIPELINE_SOURCE == "schedule"');
    expect(scripts(pipeline['rekey-rotate-due'])).toContain('rekey rotate --due');
  });
});
