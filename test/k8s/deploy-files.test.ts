/**
 * What ships for clusters and CI, checked without a cluster:
 * - deploy/kubernetes/rekey.yaml: the serve and scheduler Deployments run non-root with a
 *   read-only root filesystem, no privilege escalation and every capability dropped; the
 *   database URL and master key come from a Secret, never a literal; the Service and the
 *   NetworkPolicy select the serve pods; probes hit /healthz and /readyz.
 * - Dockerfile: multi-stage, a non-root USER in the final stage, an exec-form HEALTHCHECK on
 *   /healthz (the distroless base has no shell), .dockerignore keeps secrets and
 *   node_modules out of the context; the build itself runs only where a Docker daemon
 *   answers (skipped here with the reason otherwise).
 * - action.yml: its scan step's `run:` script executed by bash with the inputs and
 *   environment GitHub gives a composite step (GITHUB_OUTPUT, the input values as env),
 *   on a repository with a planted key, against the built binary: SARIF 2.1.0 written,
 *   findings=true in the step outputs, the key's value nowhere in the report.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { REKEY_BIN } from '../helpers/cli-runner.js';
import { createTempRepository } from '../scan/git-repo-helper.js';

const ROOT = resolve(import.meta.dirname, '../..');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const manifests = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/rekey.yaml'), 'utf8')).map((document) => document.toJS() as Json);
const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);

function dockerUnavailableReason(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 });
  if (info.error !== undefined) return `no docker client (${info.error.message})`;
  if (info.status !== 0) return `the Docker daemon does not answer (${info.stderr.trim().split('\n').pop() ?? 'no output'})`;
  return undefined;
}

describe('Kubernetes manifests', () => {
  it('run serve and the scheduler hardened, with the database URL and master key from a Secret', () => {
    const deployments = byKind('Deployment');
    expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual(['rekey-scheduler', 'rekey-serve']);
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of pod.containers) {
        expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        const env = Object.fromEntries(container.env.map((variable: Json) => [variable.name, variable]));
        expect(env.REKEY_DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'rekey-secrets', key: 'database-url' });
        expect(env.REKEY_MASTER_KEY.valueFrom.secretKeyRef).toEqual({ name: 'rekey-secrets', key: 'master-key' });
        for (const variable of container.env) expect(variable.value === undefined || !/postgres:|[A-Za-z0-9+/]{40,}/.test(variable.value)).toBe(true);
        // A read-only root needs a writable /tmp for REKEY_HOME.
        expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
    }
    const serve = deployments.find((deployment) => deployment.metadata.name === 'rekey-serve')!.spec.template.spec.containers[0];
    expect(serve.args).toEqual(expect.arrayContaining(['serve', '--tls-cert', '--tls-key']));
    expect(serve.livenessProbe.httpGet.path).toBe('/healthz');
    expect(serve.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('expose serve through the Service and admit only labelled clients and ESO', () => {
    const serveLabels = byKind('Deployment').find((deployment) => deployment.metadata.name === 'rekey-serve')!.spec.template.metadata.labels;
    const [service] = byKind('Service');
    expect(service!.spec.selector).toEqual(serveLabels);
    expect(service!.spec.ports[0]).toMatchObject({ port: 8420, targetPort: 'https' });
    const [policy] = byKind('NetworkPolicy');
    for (const [key, value] of Object.entries(policy!.spec.podSelector.matchLabels)) expect(serveLabels[key]).toBe(value);
    expect(policy!.spec.policyTypes).toEqual(['Ingress']);
    expect(policy!.spec.ingress[0].ports).toEqual([{ port: 8420, protocol: 'TCP' }]);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const instructions = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.map((line, index) => ({ line, index })).filter(({ line }) => /^FROM\s/i.test(line));

  it('is multi-stage, ends as a non-root user with a HEALTHCHECK on /healthz and no shell form', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = instructions.slice(stages.at(-1)!.index);
    expect(final[0]).toMatch(/distroless\/nodejs\d+-debian\d+:nonroot/);
    const users = final.filter((line) => /^USER\s/i.test(line));
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
    const healthcheck = final.find((line) => /^HEALTHCHECK\s/i.test(line));
    expect(healthcheck).toMatch(/CMD \[.*\/healthz/);
    // Exec form only in the final stage: no shell to run a shell-form command.
    for (const line of final.filter((candidate) => /^(RUN|CMD|ENTRYPOINT)\s/i.test(candidate))) expect(line).toMatch(/^(CMD|ENTRYPOINT)\s+\[/);
    expect(final.some((line) => /^COPY --from=build\b/.test(line))).toBe(true);
  });

  it('keeps secrets, the store and node_modules out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', 'node_modules', '.env', '*.env', '.rekey', '*.db']) expect(ignored).toContain(entry);
  });

  const reason = dockerUnavailableReason();
  it.skipIf(reason !== undefined)(`builds (skipped when no daemon answers${reason === undefined ? '' : `: ${reason}`})`, () => {
    execFileSync('docker', ['build', '-t', 'rekey:test', ROOT], { stdio: 'pipe', timeout: 600_000 });
  });
});

describe('GitHub Action', () => {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Json;

  it('is a composite action whose steps all name their shell', () => {
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps) expect(step.shell).toBe('bash');
    expect(action.runs.steps.map((step: Json) => step.name)).toEqual(['Install rekey', 'Scan for leaked keys', 'Rotate due keys (OIDC, no stored secret)', 'Fail on findings']);
  });

  it("runs the scan step's script as GitHub would: SARIF out, findings=true, no key value in the report", () => {
    const key = fakeKey('openai-service-account-key', seededRandom(2121));
    const repository = createTempRepository('rekey-action-');
    repository.write('config/app.env', `OPENAI_API_KEY=${key}\n`);
    repository.git('add', '.');
    repository.git('commit', '-qm', 'add config');
    repository.write('config/app.env', 'OPENAI_API_KEY=\n');
    repository.git('commit', '-qam', 'remove it again (still in history)');

    const step = action.runs.steps.find((candidate: Json) => candidate.id === 'scan') as Json;
    const runner = mkdtempSync(join(tmpdir(), 'rekey-action-runner-'));
    const bin = join(runner, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'rekey'), `#!/bin/sh\nexec "${process.execPath}" "${REKEY_BIN}" "$@"\n`);
    chmodSync(join(bin, 'rekey'), 0o755);
    const output = join(runner, 'github_output');
    writeFileSync(output, '');
    // ${{ inputs.x }} in env: GitHub substitutes the input's value (here its default).
    const env = Object.fromEntries(Object.entries(step.env as Record<string, string>).map(([name, value]) => [name, value.replace(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g, (_match, input: string) => String(action.inputs[input].default))]));
    const result = spawnSync('bash', ['-e', '-c', step.run], {
      cwd: repository.root,
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: runner, GITHUB_OUTPUT: output, GITHUB_WORKSPACE: repository.root, RUNNER_TEMP: runner, CI: 'true', REKEY_HOME: join(runner, 'rekey-home'), NO_COLOR: '1', ...env },
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe('sarif-file=rekey.sarif\nfindings=true\n');
    const sarifText = readFileSync(join(repository.root, 'rekey.sarif'), 'utf8');
    const sarif = JSON.parse(sarifText) as Json;
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.length).toBeGreaterThan(0);
    expect(JSON.stringify(sarif.runs[0].results)).toContain('config/app.env');
    expect(sarifText).not.toContain(key);
    expect(result.stdout + result.stderr).not.toContain(key);
  });
});
