/**
 * AWS Secrets Manager over its documented wire protocol: AWS JSON 1.1 (`POST /`,
 * `Content-Type: application/x-amz-json-1.1`, `X-Amz-Target: secretsmanager.<Operation>`,
 * errors as `{ "__type": ..., "message": ... }` with `x-amzn-ErrorType`), every request
 * SigV4-verified, and version staging labels with AWS's rules: one version per label,
 * PutSecretValue moves the labels it names (default AWSCURRENT), moving AWSCURRENT leaves
 * AWSPREVIOUS on the version that had it, UpdateSecretVersionStage refuses to move a label
 * without naming the version it is taken from, a reused ClientRequestToken with a
 * different value is ResourceExistsException.
 */
import { randomUUID } from 'node:crypto';
import { startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';
import { verifySigV4, type SigV4Expectation } from './aws-sigv4-verify.js';

interface Version {
  id: string;
  value: string | undefined;
  stages: Set<string>;
  created: number;
}

interface Secret {
  arn: string;
  name: string;
  versions: Map<string, Version>;
}

export interface AwsSecretsManagerFake {
  server: FakeHttpServer;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Operations seen, in order (after signature checks passed). */
  operations: string[];
  /** Requests rejected for a bad signature. */
  rejectedSignatures: string[];
  /** The staging labels of each version of a secret, by value fingerprint-free view: value → labels. */
  stages(name: string): Array<{ versionId: string; stages: string[]; value: string | undefined }>;
  plant(name: string, value: string): void;
  /** Answer the next matching operations with an AWS error. */
  failNext(type: string, status: number, options?: { times?: number; operation?: string }): void;
  close(): Promise<void>;
}

class AwsFault extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startAwsSecretsManagerFake(): Promise<AwsSecretsManagerFake> {
  const region = 'eu-west-1';
  const credentials = { accessKeyId: 'AKIAFAKEFAKEFAKE0001', secretAccessKey: `fake-secret-${randomUUID()}` };
  const expectation: SigV4Expectation = { ...credentials, region, service: 'secretsmanager' };
  const secrets = new Map<string, Secret>();
  const operations: string[] = [];
  const rejectedSignatures: string[] = [];
  const faults: Array<{ type: string; status: number; times: number; operation?: string | undefined }> = [];
  let clock = 0;

  const find = (secretId: unknown): Secret => {
    if (typeof secretId !== 'string') throw new AwsFault('InvalidParameterException', 400, 'SecretId is required');
    const secret = secrets.get(secretId) ?? [...secrets.values()].find((candidate) => candidate.arn === secretId);
    if (secret === undefined) throw new AwsFault('ResourceNotFoundException', 400, "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const holder = (secret: Secret, stage: string): Version | undefined => [...secret.versions.values()].find((version) => version.stages.has(stage));
  const attach = (secret: Secret, version: Version, stage: string): void => {
    const previous = holder(secret, stage);
    if (previous === version) return;
    previous?.stages.delete(stage);
    if (stage === 'AWSCURRENT' && previous !== undefined) {
      holder(secret, 'AWSPREVIOUS')?.stages.delete('AWSPREVIOUS');
      previous.stages.add('AWSPREVIOUS');
    }
    version.stages.add(stage);
  };
  const addVersion = (secret: Secret, token: unknown, value: string, stages: string[]): Version => {
    const id = typeof token === 'string' ? token : randomUUID();
    const existing = secret.versions.get(id);
    if (existing !== undefined) {
      if (existing.value !== value) throw new AwsFault('ResourceExistsException', 400, 'You can’t modify an existing version, you can only create a new version.');
      return existing;
    }
    const version: Version = { id, value, stages: new Set(), created: (clock += 1) };
    secret.versions.set(id, version);
    for (const stage of stages) attach(secret, version, stage);
    return version;
  };
  const versionsToStages = (secret: Secret): Record<string, string[]> =>
    Object.fromEntries([...secret.versions.values()].filter((version) => version.stages.size > 0).map((version) => [version.id, [...version.stages]]));

  const operationsTable: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateSecret(input) {
      const name = input['Name'];
      if (typeof name !== 'string' || name === '') throw new AwsFault('InvalidParameterException', 400, 'Name is required');
      if (secrets.has(name)) throw new AwsFault('ResourceExistsException', 400, 'The operation failed because the secret already exists.');
      const secret: Secret = { arn: `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-AbCdEf`, name, versions: new Map() };
      secrets.set(name, secret);
      const value = input['SecretString'];
      if (typeof value === 'string') {
        const version = addVersion(secret, input['ClientRequestToken'], value, ['AWSCURRENT']);
        return { ARN: secret.arn, Name: name, VersionId: version.id };
      }
      return { ARN: secret.arn, Name: name };
    },
    DescribeSecret(input) {
      const secret = find(input['SecretId']);
      return { ARN: secret.arn, Name: secret.name, VersionIdsToStages: versionsToStages(secret) };
    },
    GetSecretValue(input) {
      const secret = find(input['SecretId']);
      const versionId = input['VersionId'];
      const stage = typeof input['VersionStage'] === 'string' ? input['VersionStage'] : versionId === undefined ? 'AWSCURRENT' : undefined;
      const version = typeof versionId === 'string' ? secret.versions.get(versionId) : holder(secret, stage ?? 'AWSCURRENT');
      if (version === undefined || (stage !== undefined && !version.stages.has(stage)) || version.value === undefined) {
        throw new AwsFault('ResourceNotFoundException', 400, `Secrets Manager can't find the specified secret value for staging label: ${stage ?? ''}`);
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id, SecretString: version.value, VersionStages: [...version.stages], CreatedDate: version.created };
    },
    PutSecretValue(input) {
      const secret = find(input['SecretId']);
      const value = input['SecretString'];
      if (typeof value !== 'string') throw new AwsFault('InvalidParameterException', 400, 'SecretString is required');
      const stages = Array.isArray(input['VersionStages']) ? (input['VersionStages'] as string[]) : ['AWSCURRENT'];
      const version = addVersion(secret, input['ClientRequestToken'], value, stages);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
    },
    UpdateSecretVersionStage(input) {
      const secret = find(input['SecretId']);
      const stage = input['VersionStage'];
      if (typeof stage !== 'string') throw new AwsFault('InvalidParameterException', 400, 'VersionStage is required');
      const moveTo = input['MoveToVersionId'];
      const removeFrom = input['RemoveFromVersionId'];
      const current = holder(secret, stage);
      if (typeof removeFrom === 'string' && current?.id !== removeFrom) {
        throw new AwsFault('InvalidParameterException', 400, `The staging label ${stage} is not attached to version ${removeFrom}.`);
      }
      if (typeof moveTo === 'string') {
        const target = secret.versions.get(moveTo);
        if (target === undefined) throw new AwsFault('ResourceNotFoundException', 400, 'Version not found');
        if (current !== undefined && current !== target && current.id !== removeFrom) {
          throw new AwsFault('InvalidParameterException', 400, `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${current.id}.`);
        }
        attach(secret, target, stage);
      } else if (typeof removeFrom === 'string') {
        if (stage === 'AWSCURRENT') throw new AwsFault('InvalidParameterException', 400, 'You can’t remove AWSCURRENT; move it instead.');
        current?.stages.delete(stage);
      }
      return { ARN: secret.arn, Name: secret.name };
    },
    ListSecrets(input) {
      const all = [...secrets.values()].sort((left, right) => left.name.localeCompare(right.name));
      const start = typeof input['NextToken'] === 'string' ? Number(input['NextToken']) : 0;
      const size = typeof input['MaxResults'] === 'number' ? input['MaxResults'] : 100;
      const page = all.slice(start, start + size);
      return {
        SecretList: page.map((secret) => ({ ARN: secret.arn, Name: secret.name, SecretVersionsToStages: versionsToStages(secret) })),
        ...(start + size < all.length ? { NextToken: String(start + size) } : {}),
      };
    },
  };

  const error = (type: string, status: number, message: string): FakeResponse => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: type, message }),
  });

  const handle = (request: FakeRequest): FakeResponse => {
    const verdict = verifySigV4(request, expectation);
    if (!verdict.ok) {
      rejectedSignatures.push(verdict.reason);
      return error(verdict.type, verdict.type === 'UnrecognizedClientException' ? 400 : 403, 'The request signature we calculated does not match the signature you provided.');
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || request.url.pathname !== '/' || !target.startsWith('secretsmanager.')) {
      return error('UnknownOperationException', 400, 'unknown operation');
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) return error('SerializationException', 400, 'bad content type');
    const operation = target.slice('secretsmanager.'.length);
    const fault = faults.find((candidate) => candidate.operation === undefined || candidate.operation === operation);
    if (fault !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      return error(fault.type, fault.status, 'injected failure');
    }
    const implementation = operationsTable[operation];
    if (implementation === undefined) return error('UnknownOperationException', 400, `unsupported operation ${operation}`);
    operations.push(operation);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return error('SerializationException', 400, 'body is not JSON');
    }
    try {
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }, body: JSON.stringify(implementation(input)) };
    } catch (caught) {
      if (caught instanceof AwsFault) return error(caught.type, caught.status, caught.message);
      throw caught;
    }
  };

  const server = await startFakeHttpServer(handle);
  return {
    server,
    endpoint: server.url,
    region,
    credentials,
    operations,
    rejectedSignatures,
    stages(name) {
      const secret = secrets.get(name);
      if (secret === undefined) return [];
      return [...secret.versions.values()].map((version) => ({ versionId: version.id, stages: [...version.stages].sort(), value: version.value }));
    },
    plant(name, value) {
      operationsTable['CreateSecret']?.({ Name: name, SecretString: value });
    },
    failNext(type, status, options = {}) {
      faults.push({ type, status, times: options.times ?? 1, operation: options.operation });
    },
    close: () => server.close(),
  };
}
