/**
 * The slice of the Kubernetes API the Secret sink, the rollout reload and discovery use,
 * as the API reference documents it: core/v1 Secrets (get, list per namespace and across
 * namespaces, create with 409 AlreadyExists, replace with optimistic concurrency on
 * metadata.resourceVersion → 409 Conflict, base64 `data` only), apps/v1 Deployments (get,
 * strategic-merge / merge patch of the pod template), bearer-token auth, and `Status`
 * error objects. It writes a kubeconfig that points the real client at it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

type Json = Record<string, unknown>;

interface StoredSecret {
  metadata: { name: string; namespace: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string>; uid: string };
  type: string;
  data: Record<string, string>;
}

export interface KubernetesApiFake {
  server: FakeHttpServer;
  kubeconfigPath: string;
  token: string;
  plantSecret(namespace: string, name: string, data: Record<string, string>, options?: { annotations?: Record<string, string> }): void;
  /** Decoded data of a secret, or undefined. */
  secretData(namespace: string, name: string): Record<string, string> | undefined;
  secret(namespace: string, name: string): StoredSecret | undefined;
  plantDeployment(namespace: string, name: string): void;
  deploymentAnnotations(namespace: string, name: string): Record<string, string>;
  /** Patches received per deployment, in order. */
  deploymentPatches: Array<{ namespace: string; name: string; contentType: string }>;
  /** Make the next replace of this secret lose a race (someone else changes it first). */
  interleaveSecretChange(namespace: string, name: string, data: Record<string, string>): void;
  denyReads(): void;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string): FakeResponse => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
});

function deepMerge(target: Json, patch: Json): Json {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof target[key] === 'object' && target[key] !== null) deepMerge(target[key] as Json, value as Json);
    else target[key] = value;
  }
  return target;
}

export async function startKubernetesApiFake(): Promise<KubernetesApiFake> {
  const token = 'fake-service-account-token';
  const secrets = new Map<string, StoredSecret>();
  const deployments = new Map<string, Json>();
  const deploymentPatches: KubernetesApiFake['deploymentPatches'] = [];
  let revision = 100;
  let readsDenied = false;
  let interleave: { key: string; data: Record<string, string> } | undefined;
  const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
  const view = (secret: StoredSecret): Json => ({ apiVersion: 'v1', kind: 'Secret', ...structuredClone(secret) });

  const store = (namespace: string, name: string, data: Record<string, string>, extra: Partial<StoredSecret['metadata']> = {}, type = 'Opaque'): StoredSecret => {
    const existing = secrets.get(keyOf(namespace, name));
    const secret: StoredSecret = {
      metadata: { ...existing?.metadata, ...extra, name, namespace, uid: existing?.metadata.uid ?? `uid-${name}`, resourceVersion: String((revision += 1)) },
      type,
      data,
    };
    secrets.set(keyOf(namespace, name), secret);
    return secret;
  };

  const validData = (data: unknown): data is Record<string, string> =>
    typeof data === 'object' && data !== null && Object.values(data).every((value) => typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value));

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) return status(401, 'Unauthorized', 'Unauthorized');
    const path = request.url.pathname;
    let match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(path);
    if (match !== null) {
      const [, namespace = '', name] = match;
      if (name === undefined && request.method === 'GET') {
        if (readsDenied) return status(403, 'Forbidden', 'secrets is forbidden');
        const items = [...secrets.values()].filter((secret) => secret.metadata.namespace === namespace).map(view);
        return { status: 200, body: { apiVersion: 'v1', kind: 'SecretList', metadata: { resourceVersion: String(revision) }, items } };
      }
      if (name === undefined && request.method === 'POST') {
        const body = jsonBody(request) as Json;
        const metadata = (body['metadata'] ?? {}) as { name?: string };
        if (typeof metadata.name !== 'string') return status(422, 'Invalid', 'metadata.name is required');
        if (secrets.has(keyOf(namespace, metadata.name))) return status(409, 'AlreadyExists', `secrets "${metadata.name}" already exists`);
        if (body['stringData'] !== undefined || !validData(body['data'] ?? {})) return status(422, 'Invalid', 'data must be base64');
        return { status: 201, body: view(store(namespace, metadata.name, (body['data'] ?? {}) as Record<string, string>, (body['metadata'] ?? {}) as Json, String(body['type'] ?? 'Opaque'))) };
      }
      const existing = secrets.get(keyOf(namespace, name ?? ''));
      if (request.method === 'GET') {
        if (readsDenied) return status(403, 'Forbidden', 'secrets is forbidden');
        return existing === undefined ? status(404, 'NotFound', `secrets "${name}" not found`) : { status: 200, body: view(existing) };
      }
      if (request.method === 'PUT') {
        if (existing === undefined) return status(404, 'NotFound', `secrets "${name}" not found`);
        if (interleave !== undefined && interleave.key === keyOf(namespace, name ?? '')) {
          store(namespace, name ?? '', interleave.data);
          interleave = undefined;
        }
        const body = jsonBody(request) as Json;
        const metadata = (body['metadata'] ?? {}) as { resourceVersion?: string };
        const current = secrets.get(keyOf(namespace, name ?? ''));
        if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== current?.metadata.resourceVersion) {
          return status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
        }
        if (!validData(body['data'] ?? {})) return status(422, 'Invalid', 'data must be base64');
        const { resourceVersion: _ignored, ...rest } = (body['metadata'] ?? {}) as Json;
        return { status: 200, body: view(store(namespace, name ?? '', (body['data'] ?? {}) as Record<string, string>, rest as Partial<StoredSecret['metadata']>, String(body['type'] ?? 'Opaque'))) };
      }
      return status(405, 'MethodNotAllowed', 'method not allowed');
    }
    if (path === '/api/v1/secrets' && request.method === 'GET') {
      if (readsDenied) return status(403, 'Forbidden', 'secrets is forbidden');
      return { status: 200, body: { apiVersion: 'v1', kind: 'SecretList', metadata: { resourceVersion: String(revision) }, items: [...secrets.values()].map(view) } };
    }
    match = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(path);
    if (match !== null) {
      const [, namespace = '', name = ''] = match;
      const deployment = deployments.get(keyOf(namespace, name));
      if (deployment === undefined) return status(404, 'NotFound', `deployments.apps "${name}" not found`);
      if (request.method === 'GET') return { status: 200, body: deployment };
      if (request.method === 'PATCH') {
        const contentType = String(request.headers['content-type'] ?? '');
        if (!contentType.startsWith('application/strategic-merge-patch+json') && !contentType.startsWith('application/merge-patch+json')) {
          return status(415, 'UnsupportedMediaType', `unsupported patch type ${contentType}`);
        }
        deploymentPatches.push({ namespace, name, contentType });
        deepMerge(deployment, jsonBody(request) as Json);
        const metadata = deployment['metadata'] as Json;
        metadata['generation'] = Number(metadata['generation'] ?? 1) + 1;
        metadata['resourceVersion'] = String((revision += 1));
        return { status: 200, body: deployment };
      }
    }
    return status(404, 'NotFound', 'the server could not find the requested resource');
  };

  const server = await startFakeHttpServer(handle);
  const directory = await mkdtemp(join(tmpdir(), 'rekey-kube-'));
  const kubeconfigPath = join(directory, 'kubeconfig');
  await writeFile(
    kubeconfigPath,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${server.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: rekey',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: fake',
      '  context: { cluster: fake, user: rekey, namespace: default }',
      'current-context: fake',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  return {
    server,
    kubeconfigPath,
    token,
    plantSecret(namespace, name, data, options = {}) {
      const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
      store(namespace, name, encoded, options.annotations === undefined ? {} : { annotations: options.annotations });
    },
    secretData(namespace, name) {
      const secret = secrets.get(keyOf(namespace, name));
      if (secret === undefined) return undefined;
      return Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
    },
    secret: (namespace, name) => secrets.get(keyOf(namespace, name)),
    plantDeployment(namespace, name) {
      deployments.set(keyOf(namespace, name), {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace, generation: 1, resourceVersion: String((revision += 1)) },
        spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
      });
    },
    deploymentAnnotations(namespace, name) {
      const deployment = deployments.get(keyOf(namespace, name)) as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } } | undefined;
      return deployment?.spec?.template?.metadata?.annotations ?? {};
    },
    deploymentPatches,
    interleaveSecretChange(namespace, name, data) {
      interleave = { key: keyOf(namespace, name), data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])) };
    },
    denyReads: () => {
      readsDenied = true;
    },
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
