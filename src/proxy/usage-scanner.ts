/**
 * Reads token counts out of a provider response while it streams to the client: the
 * bytes pass through untouched and unbuffered; a side scanner looks at JSON bodies
 * (`usage` at the end) and server-sent events (`data:` lines that carry `usage`:
 * OpenAI's last chunk, Anthropic's `message_start` and `message_delta`).
 */

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

const MAX_JSON_BYTES = 4 * 1024 * 1024;

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** `usage` of an OpenAI or Anthropic object (or Anthropic's `message_start.message.usage`). */
export function usageOf(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const object = value as { usage?: unknown; message?: { usage?: unknown } };
  const usage = (object.usage ?? object.message?.usage) as Record<string, unknown> | null | undefined;
  if (usage === null || usage === undefined || typeof usage !== 'object') return undefined;
  const input = numberOr(usage['prompt_tokens']) ?? numberOr(usage['input_tokens']);
  const output = numberOr(usage['completion_tokens']) ?? numberOr(usage['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  return { inputTokens: input ?? 0, outputTokens: output ?? 0 };
}

/** Token counts of a complete JSON answer, if it carries `usage`. */
export function usageOfJson(bytes: Uint8Array): TokenUsage | undefined {
  try {
    return usageOf(JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')));
  } catch {
    return undefined;
  }
}

/**
 * `onEnd` gets the usage the answer reported, and for event streams the number of content
 * events seen (one per streamed token on OpenAI and Anthropic: the count to fall back on when
 * the client did not ask for `stream_options.include_usage`).
 */
export function createUsageScanner(contentType: string | null, onEnd: (usage: TokenUsage | undefined, contentEvents: number) => void): TransformStream<Uint8Array, Uint8Array> {
  const kind = contentType?.includes('text/event-stream') ? 'sse' : contentType?.includes('json') ? 'json' : 'other';
  const decoder = new TextDecoder();
  let usage: TokenUsage | undefined;
  let contentEvents = 0;
  let pending = '';
  const chunks: Uint8Array[] = [];
  let size = 0;

  const merge = (found: TokenUsage | undefined) => {
    if (found === undefined) return;
    // Anthropic reports input at message_start and cumulative output at message_delta: keep the largest of each.
    usage = { inputTokens: Math.max(usage?.inputTokens ?? 0, found.inputTokens), outputTokens: Math.max(usage?.outputTokens ?? 0, found.outputTokens) };
  };

  const scanLine = (line: string) => {
    if (!line.startsWith('data:')) return;
    // OpenAI: {"choices":[{"delta":{"content":…}}]}; Anthropic: content_block_delta.
    if ((line.includes('"content"') && !line.includes('"content":""') && !line.includes('"content":null')) || line.includes('"text_delta"')) contentEvents += 1;
    if (!line.includes('"usage"')) return;
    try {
      merge(usageOf(JSON.parse(line.slice(5))));
    } catch {
      // Not JSON: nothing to count.
    }
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      if (kind === 'sse') {
        pending += decoder.decode(chunk, { stream: true });
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          scanLine(pending.slice(0, newline).replace(/\r$/, ''));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
      } else if (kind === 'json' && size <= MAX_JSON_BYTES) {
        chunks.push(chunk);
        size += chunk.byteLength;
      }
    },
    flush() {
      if (kind === 'sse') scanLine(pending);
      if (kind === 'json' && size <= MAX_JSON_BYTES) {
        try {
          merge(usageOf(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        } catch {
          // Not JSON after all.
        }
      }
      onEnd(usage, contentEvents);
    },
  });
}
