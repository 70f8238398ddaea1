/**
 * What the proxy checks in a request before any key is injected, as pure functions:
 *
 * - the path: no percent-encoded dot, slash or backslash, no empty segment, so what the
 *   upstream decodes is what was checked;
 * - the endpoint: each path belongs to one endpoint group; a token gets the inference group
 *   by default and any other group (files, stored completions, batches, admin …) only when
 *   it was granted; a path of no known group is refused;
 * - the body: read while it streams in and refused past a byte limit (never buffered whole
 *   first);
 * - the model: every place a request can name one (a JSON body, the query, a multipart or
 *   URL-encoded form), with duplicate JSON keys refused so that the checked `model` is the
 *   one an upstream reads, whichever duplicate it keeps.
 */

/** Endpoint groups a proxy token can be granted (`rekey token create --allow-endpoint <group>`). */
export const ENDPOINT_GROUPS = ['inference', 'models', 'stored', 'files', 'batches', 'fine-tuning', 'assistants', 'admin'] as const;
export type EndpointGroup = (typeof ENDPOINT_GROUPS)[number];

/** Granted to every proxy token: calling models and listing them. */
export const DEFAULT_ENDPOINT_GROUPS: readonly EndpointGroup[] = ['inference', 'models'];

export type ProviderFamily = 'openai' | 'anthropic';

interface EndpointRule {
  methods: readonly string[];
  /** Matched against the upstream path (`/chat/completions` for OpenAI, `/v1/messages` for Anthropic). */
  pattern: RegExp;
  group: EndpointGroup;
}

const SEGMENT = '[^/]+';
const rule = (methods: string, pattern: string, group: EndpointGroup): EndpointRule => ({ methods: methods.split(','), pattern: new RegExp(`^${pattern}$`), group });

const OPENAI_RULES: readonly EndpointRule[] = [
  rule('POST', '/(chat/completions|completions|embeddings|responses|moderations)', 'inference'),
  rule('POST', '/images/(generations|edits|variations)', 'inference'),
  rule('POST', '/audio/(speech|transcriptions|translations)', 'inference'),
  rule('GET', '/models', 'models'),
  rule('GET', `/models/${SEGMENT}`, 'models'),
  // Stored chat completions and responses: other people's conversations, not inference.
  rule('GET', '/chat/completions', 'stored'),
  rule('GET,POST,DELETE', `/chat/completions/${SEGMENT}(/messages)?`, 'stored'),
  rule('GET,POST,DELETE', `/responses/${SEGMENT}(/input_items|/cancel)?`, 'stored'),
  rule('GET,POST,DELETE', `/(files|uploads)(/${SEGMENT}(/content|/parts|/complete|/cancel)?)?`, 'files'),
  rule('GET,POST', `/batches(/${SEGMENT}(/cancel)?)?`, 'batches'),
  rule('GET,POST,DELETE', `/fine_tuning/${SEGMENT}(/${SEGMENT})*`, 'fine-tuning'),
  rule('GET,POST,DELETE', `/(assistants|threads|vector_stores|containers|conversations)(/${SEGMENT})*`, 'assistants'),
  rule('GET,POST,DELETE', `/organization(/${SEGMENT})*`, 'admin'),
];

const ANTHROPIC_RULES: readonly EndpointRule[] = [
  rule('POST', '/v1/(messages|messages/count_tokens|complete)', 'inference'),
  rule('GET', '/v1/models', 'models'),
  rule('GET', `/v1/models/${SEGMENT}`, 'models'),
  rule('GET,POST,DELETE', `/v1/messages/batches(/${SEGMENT})*`, 'batches'),
  rule('GET,POST,DELETE', `/v1/files(/${SEGMENT})*`, 'files'),
  rule('GET,POST,DELETE', `/v1/organizations(/${SEGMENT})*`, 'admin'),
];

/** The group of an upstream path, or undefined when rekey knows no such endpoint. */
export function endpointGroupOf(family: ProviderFamily, method: string, upstreamPath: string): EndpointGroup | undefined {
  const rules = family === 'openai' ? OPENAI_RULES : ANTHROPIC_RULES;
  // Stored chat completions are listed by GET on the inference path: the method decides first.
  for (const candidate of rules) {
    if (candidate.methods.includes(method) && candidate.pattern.test(upstreamPath)) return candidate.group;
  }
  return undefined;
}

/** Parses a comma-separated or repeated list of groups, naming any unknown one. */
export function parseEndpointGroups(values: readonly string[]): EndpointGroup[] {
  const groups = values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
  for (const group of groups) {
    if (!(ENDPOINT_GROUPS as readonly string[]).includes(group)) throw new Error(`unknown endpoint group "${group}" (groups: ${ENDPOINT_GROUPS.join(', ')})`);
  }
  return [...new Set(groups)] as EndpointGroup[];
}

/**
 * Why a raw request path is refused, or undefined. The path is checked as it arrived, before
 * any decoding: an upstream that decodes `%2f` or `%2e` would otherwise reach a path the
 * proxy never checked.
 */
export function pathRefusal(rawPath: string): string | undefined {
  if (/%(2e|2f|5c|00)/i.test(rawPath)) return 'the path carries an encoded dot, slash, backslash or NUL';
  if (rawPath.includes('\\')) return 'the path carries a backslash';
  if (rawPath.includes('//')) return 'the path has an empty segment';
  if (rawPath.split('/').some((segment) => segment === '.' || segment === '..')) return 'the path has a dot segment';
  return undefined;
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the request body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a stream whole, or undefined (the rest cancelled) as soon as it passes `limit` bytes. */
export async function readUpTo(stream: ReadableStream<Uint8Array>, limit: number): Promise<Buffer | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
}

/**
 * Reads a request body up to `limit` bytes, refusing it as soon as more arrive (or at once
 * when the declared length is over the limit): the proxy never holds more than the limit.
 */
export async function readBodyLimited(request: Request, limit: number): Promise<ArrayBuffer | undefined> {
  if (request.body === null) return undefined;
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await request.body.cancel().catch(() => undefined);
    throw new BodyTooLargeError(limit);
  }
  const bytes = await readUpTo(request.body, limit);
  if (bytes === undefined) throw new BodyTooLargeError(limit);
  return new Uint8Array(bytes).buffer;
}

/**
 * The same bound over a node:http request (no WHATWG stream in between): refused at once
 * when the declared length is over the limit, or as soon as more bytes than the limit arrive.
 */
export function readIncomingLimited(incoming: NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined> }, limit: number): Promise<ArrayBuffer | undefined> {
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  // Past the limit the rest is discarded as it comes (never held), so the 413 still reaches the client.
  if (Number.isFinite(declared) && declared > limit) {
    incoming.resume();
    return Promise.reject(new BodyTooLargeError(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        incoming.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (size === 0) return resolve(new ArrayBuffer(0));
      const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      resolve(whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.byteLength) as ArrayBuffer);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      incoming.removeListener('data', onData);
      incoming.removeListener('end', onEnd);
      incoming.removeListener('error', onError);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

/**
 * The first key that appears twice in one object of a JSON text, or undefined. The text must
 * already be valid JSON (JSON.parse accepted it); this walks it once, keeping the keys seen
 * per open object.
 */
export function duplicateJsonKey(text: string): string | undefined {
  const open: (Set<string> | undefined)[] = [];
  let expectKey = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (character === '[') {
      open.push(undefined);
      expectKey = false;
    } else if (character === '}' || character === ']') {
      open.pop();
      expectKey = false;
    } else if (character === ',') {
      expectKey = open[open.length - 1] !== undefined;
    } else if (character === '"') {
      let end = index + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        const keys = open[open.length - 1];
        if (keys?.has(key)) return key;
        keys?.add(key);
        expectKey = false;
      }
      index = end;
    }
  }
  return undefined;
}

export interface RequestFields {
  /** Every model the request names, wherever it names it. */
  models: string[];
  stream: boolean;
}

export class RequestRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestRefusal';
  }
}

function modelValue(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new RequestRefusal(400, 'invalid_model', `"model" in the ${where} must be a string`);
  return value;
}

/** The models a request names (JSON body, query, multipart or URL-encoded form) and whether it streams. */
export async function requestFields(body: ArrayBuffer | undefined, contentType: string | null, query: URLSearchParams): Promise<RequestFields> {
  const models = query.getAll('model').map((value) => modelValue(value, 'query'));
  let stream = false;
  const type = (contentType ?? '').toLowerCase();
  if (body !== undefined && body.byteLength > 0) {
    if (type.includes('multipart/form-data') || type.includes('application/x-www-form-urlencoded')) {
      let form: FormData;
      try {
        form = await new Response(body, { headers: { 'content-type': contentType ?? '' } }).formData();
      } catch {
        throw new RequestRefusal(400, 'invalid_body', 'the form body could not be read');
      }
      for (const value of form.getAll('model')) models.push(modelValue(value, 'form'));
      stream = form.get('stream') === 'true';
    } else {
      const text = Buffer.from(body).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Upstreams read a JSON body whatever the content type says: what rekey cannot read, it does not send.
        throw new RequestRefusal(400, 'invalid_json', 'the request body is not valid JSON');
      }
      const duplicate = duplicateJsonKey(text);
      if (duplicate !== undefined) throw new RequestRefusal(400, 'duplicate_json_key', `the request body names "${duplicate}" twice in one object`);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const fields = parsed as { model?: unknown; stream?: unknown };
        if (fields.model !== undefined) models.push(modelValue(fields.model, 'body'));
        stream = fields.stream === true;
      }
    }
  }
  return { models, stream };
}
