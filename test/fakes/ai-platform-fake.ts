/**
 * A loopback protocol fake of the AI/ML platforms' "who am I" endpoints that `--verify`
 * calls, one path prefix per vendor (`<url>/<provider>` is that vendor's base URL). Each
 * route checks the vendor's documented auth scheme exactly (`xi-api-key`, `Token …`, a raw
 * `Authorization`, `ApiKey …`, HTTP Basic `api:<key>`, `Key …`, `token …`, `Api-Key`,
 * `Bearer …` plus `X-Runway-Version`): a registered key gets the vendor's success answer,
 * anything else its 401 — or, for the GraphQL APIs, a 200 whose body names no viewer, as
 * they answer an anonymous query. `openModels` makes a `/models` list answer any caller
 * (an endpoint that does not authenticate).
 */
import { startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface AiPlatformFake {
  url: string;
  /** Base URL for `--verify-base-url <provider>=…`. */
  baseUrl(provider: string): string;
  addKey(provider: string, key: string): void;
  /** Providers whose `/models` answers 200 to anyone. */
  openModels: Set<string>;
  server: FakeHttpServer;
  close(): Promise<void>;
}

type Credential = (request: FakeRequest) => string | undefined;

const header = (name: string): Credential => (request) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};
const scheme = (prefix: string): Credential => (request) => {
  const value = request.headers.authorization;
  return typeof value === 'string' && value.startsWith(`${prefix} `) ? value.slice(prefix.length + 1) : undefined;
};
const basicApiUser: Credential = (request) => {
  const encoded = scheme('Basic')(request);
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.startsWith('api:') ? decoded.slice(4) : undefined;
};

interface Route {
  method: 'GET' | 'POST';
  path: string;
  credential: Credential;
  ok: () => unknown;
  /** GraphQL APIs answer an unauthenticated query with 200 and no viewer. */
  anonymous?: () => unknown;
  requireHeader?: string;
}

const ROUTES: Record<string, Route> = {
  elevenlabs: { method: 'GET', path: '/v1/user', credential: header('xi-api-key'), ok: () => ({ subscription: { tier: 'creator' } }) },
  deepgram: { method: 'GET', path: '/v1/projects', credential: scheme('Token'), ok: () => ({ projects: [] }) },
  assemblyai: { method: 'GET', path: '/v2/transcript', credential: header('authorization'), ok: () => ({ transcripts: [] }) },
  nvidia: { method: 'GET', path: '/token', credential: scheme('ApiKey'), ok: () => ({ token: 'session', expires_in: 600 }) },
  wandb: {
    method: 'POST', path: '/graphql', credential: basicApiUser,
    ok: () => ({ data: { viewer: { id: 'VXNlcjox' } } }), anonymous: () => ({ data: { viewer: null } }),
  },
  braintrust: { method: 'GET', path: '/v1/project', credential: scheme('Bearer'), ok: () => ({ objects: [] }) },
  clarifai: { method: 'GET', path: '/v2/users/me', credential: scheme('Key'), ok: () => ({ status: { code: 10000 }, user: { id: 'u' } }) },
  sourcegraph: {
    method: 'POST', path: '/.api/graphql', credential: scheme('token'),
    ok: () => ({ data: { currentUser: { username: 'ada' } } }), anonymous: () => ({ data: { currentUser: null } }),
  },
  pinecone: { method: 'GET', path: '/indexes', credential: header('api-key'), ok: () => ({ indexes: [] }) },
  stability: { method: 'GET', path: '/v1/user/account', credential: scheme('Bearer'), ok: () => ({ id: 'user-1' }) },
  runway: { method: 'GET', path: '/v1/organization', credential: scheme('Bearer'), ok: () => ({ creditBalance: 10 }), requireHeader: 'x-runway-version' },
  luma: { method: 'GET', path: '/dream-machine/v1/generations', credential: scheme('Bearer'), ok: () => ({ generations: [] }) },
  leonardo: { method: 'GET', path: '/v1/me', credential: scheme('Bearer'), ok: () => ({ user_details: [] }) },
  cerebras: { method: 'GET', path: '/models', credential: scheme('Bearer'), ok: () => ({ object: 'list', data: [] }) },
  sambanova: { method: 'GET', path: '/models', credential: scheme('Bearer'), ok: () => ({ object: 'list', data: [] }) },
  hyperbolic: { method: 'GET', path: '/models', credential: scheme('Bearer'), ok: () => ({ object: 'list', data: [] }) },
  novita: { method: 'GET', path: '/models', credential: scheme('Bearer'), ok: () => ({ object: 'list', data: [] }) },
  nebius: { method: 'GET', path: '/models', credential: scheme('Bearer'), ok: () => ({ object: 'list', data: [] }) },
};

export async function startAiPlatformFake(): Promise<AiPlatformFake> {
  const keys = new Map<string, Set<string>>();
  const openModels = new Set<string>();
  const handle = (request: FakeRequest): FakeResponse => {
    const [, provider = '', ...rest] = request.url.pathname.split('/');
    const route = ROUTES[provider];
    const path = `/${rest.join('/')}`;
    if (route === undefined || route.path !== path || route.method !== request.method) return { status: 404, body: { error: 'not found' } };
    if (path === '/models' && openModels.has(provider)) return { status: 200, body: route.ok() };
    if (route.requireHeader !== undefined && request.headers[route.requireHeader] === undefined) return { status: 400, body: { error: `missing ${route.requireHeader}` } };
    const presented = route.credential(request);
    if (presented === undefined && route.anonymous !== undefined) return { status: 200, body: route.anonymous() };
    if (presented !== undefined && keys.get(provider)?.has(presented) === true) return { status: 200, body: route.ok() };
    return { status: 401, body: { error: 'invalid credentials' } };
  };
  const server = await startFakeHttpServer(handle);
  return {
    url: server.url,
    baseUrl: (provider) => `${server.url}/${provider}`,
    addKey(provider, key) {
      const set = keys.get(provider) ?? new Set<string>();
      set.add(key);
      keys.set(provider, set);
    },
    openModels,
    server,
    close: () => server.close(),
  };
}

export const FAKED_PROVIDERS: readonly string[] = Object.keys(ROUTES);
