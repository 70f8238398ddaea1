/**
 * Workload identity through the built binary, against oidc-provider on loopback: the admin
 * adds an identity locally and over `rekey serve` (server mode), a CI job signs in with
 * `rekey login --workload-token-stdin` and with `--workload-token-env` (never an argument)
 * and lists what its group binding lets it read; another repository's token is refused;
 * removing the identity ends its session. No OIDC token or session token reaches an output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REKEY_BIN, runRekey, temporaryHome, type CliResult } from '../helpers/cli-runner.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';

const PASSWORD = 'PLANTED-identity-password-3Jd8';
const AUDIENCE = 'https://rekey.example.test';

describe('rekey identity and rekey login --workload-token-* (binary)', () => {
  let idp: OidcIssuer;
  let server: ChildProcess;
  let url = '';
  const outputs: CliResult[] = [];
  const planted: string[] = [PASSWORD];
  const local = { REKEY_HOME: temporaryHome('rekey-identity-') };
  const rekey = async (args: string[], env: Record<string, string>, input?: string) => {
    const result = await runRekey(args, { env, input, timeoutMs: 30_000 });
    outputs.push(result);
    return result;
  };

  beforeAll(async () => {
    idp = await startOidcIssuer({ ciJobs: { 'deploy-main': { repository: 'acme/app', ref: 'refs/heads/main' }, 'deploy-fork': { repository: 'mallory/app', ref: 'refs/heads/main' } } });
    expect((await rekey(['init'], local)).code).toBe(0);
    expect((await rekey(['credential', 'add', 'openai/app/staging', '--provider', 'openai', '--scope', 'project=proj_1', '--read-value', '--force'], local, 'sk-proj-PLANTEDstaging000000000000000000000000\n')).code).toBe(0);
    expect((await rekey(['credential', 'add', 'openai/app/prod', '--provider', 'openai', '--scope', 'project=proj_1', '--read-value', '--force'], local, 'sk-proj-PLANTEDprod00000000000000000000000000\n')).code).toBe(0);
    expect((await rekey(['user', 'add', 'ada', '--password-stdin'], local, `${PASSWORD}\n`)).code).toBe(0);
    expect((await rekey(['role', 'bind', 'admin', '--user', 'ada'], local)).code).toBe(0);
    expect((await rekey(['role', 'bind', 'viewer', '--group', 'ci-deployers', '--credentials', '*/staging'], local)).code).toBe(0);
    server = spawn(process.execPath, [REKEY_BIN, 'serve', '--port', '0'], { env: { PATH: process.env.PATH, NO_COLOR: '1', ...local }, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let text = '';
      server.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(text);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      server.once('exit', (code) => reject(new Error(`rekey serve exited ${String(code)}: ${text}`)));
    });
  }, 60_000);

  afterAll(async () => {
    server?.kill('SIGTERM');
    await idp?.close();
    for (const output of outputs) for (const secret of planted) expect(output.stdout + output.stderr).not.toContain(secret);
  });

  it('adds identities locally and over the server, and a CI job signs in with its OIDC token', async () => {
    const bad = await rekey(['identity', 'add', 'loose', '--issuer', idp.issuer, '--audience', AUDIENCE], local);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('at least one bound claim');
    const added = await rekey(['identity', 'add', 'fork-deploy', '--issuer', idp.issuer, '--audience', AUDIENCE, '--claim', 'repository=mallory/*', '--group', 'nobody'], local);
    expect(added.code, added.stderr).toBe(0);

    const ada = { REKEY_HOME: temporaryHome('rekey-ada-'), REKEY_SERVER: url };
    expect((await rekey(['login', '--user', 'ada', '--password-stdin'], ada, `${PASSWORD}\n`)).code).toBe(0);
    const remote = await rekey(['identity', 'add', 'acme-deploy', '--issuer', idp.issuer, '--audience', AUDIENCE, '--claim', 'repository=acme/app', '--claim', 'ref=refs/heads/main', '--group', 'ci-deployers', '--json'], ada);
    expect(remote.code, remote.stderr).toBe(0);
    expect(JSON.parse(remote.stdout)).toMatchObject({ name: 'acme-deploy', createdBy: 'user:ada', boundClaims: { repository: 'acme/app', ref: 'refs/heads/main' } });
    const listed = await rekey(['identity', 'list', '--json'], ada);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((row) => row.name)).toEqual(['acme-deploy', 'fork-deploy']);

    const ci = { REKEY_HOME: temporaryHome('rekey-ci-'), REKEY_SERVER: url };
    const oidcToken = await idp.ciToken('deploy-main', AUDIENCE);
    planted.push(oidcToken);
    const login = await rekey(['login', '--workload-token-stdin'], ci, `${oidcToken}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`signed in to ${url} as workload:acme-deploy in ci-deployers`);
    const readable = await rekey(['credential', 'list', '--json'], ci);
    expect(readable.code, readable.stderr).toBe(0);
    expect((JSON.parse(readable.stdout) as Array<{ name: string }>).map((row) => row.name)).toEqual(['openai/app/staging']);
    const whoami = await rekey(['whoami'], ci);
    expect(whoami.stdout).toContain('workload:acme-deploy');

    const viaEnv = await rekey(['login', '--workload-token-env'], { ...ci, REKEY_OIDC_TOKEN: await idp.ciToken('deploy-main', AUDIENCE) });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const empty = await rekey(['login', '--workload-token-env', 'CI_JOB_JWT'], ci);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('CI_JOB_JWT holds no OIDC token');

    const stranger = await idp.ciToken('deploy-fork', 'https://elsewhere.example.test');
    planted.push(stranger);
    const refused = await rekey(['login', '--workload-token-stdin'], { REKEY_HOME: temporaryHome('rekey-fork-'), REKEY_SERVER: url }, stranger);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('workload token refused');

    const removed = await rekey(['identity', 'remove', 'acme-deploy'], local);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('2 session(s) ended');
    const after = await rekey(['credential', 'list'], ci);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('rekey login');
  });
});
