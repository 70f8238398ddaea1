/**
 * A paced load of official `openai` clients (one request in five streamed), shared by the
 * load tests (test/sdk, test/proxy) and the multi-process load run (load-main.ts).
 * Clients must have maxRetries 0: a failure is a failure.
 */
import OpenAI from 'openai';

export interface LoadResult {
  requests: number;
  failures: number;
  failuresByKind: Record<string, number>;
  seconds: number;
  ratePerSecond: number;
  latencyP50Milliseconds: number;
  latencyP99Milliseconds: number;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

const round = (value: number) => Math.round(value * 10) / 10;

/**
 * Sends chat completions (one in five streamed) through `clients`, paced at `ratePerSecond`
 * with at most `concurrency` in flight, until `stop()` says so. Clients have maxRetries 0:
 * a failure is a failure.
 */
export async function runLoad(options: { clients: OpenAI[]; ratePerSecond: number; concurrency: number; stop: () => boolean }): Promise<LoadResult> {
  const { clients, ratePerSecond, concurrency, stop } = options;
  const started = performance.now();
  const latencies: number[] = [];
  const failuresByKind: Record<string, number> = {};
  let next = 0;
  const worker = async (workerIndex: number) => {
    while (!stop()) {
      const index = next;
      next += 1;
      const due = started + (index * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stop()) return;
      const client = clients[(index + workerIndex) % clients.length] as OpenAI;
      const begin = performance.now();
      try {
        if (index % 5 === 0) {
          const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `load ${index}` }], stream: true });
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
          if (text === '') throw new Error('empty stream');
        } else {
          const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `load ${index}` }] });
          if (reply.choices.length === 0) throw new Error('no choices');
        }
        latencies.push(performance.now() - begin);
      } catch (error) {
        const kind = error instanceof OpenAI.APIError ? `status ${error.status ?? 'none'}` : (error as Error).name;
        failuresByKind[kind] = (failuresByKind[kind] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_unused, index) => worker(index)));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((left, right) => left - right);
  const failures = Object.values(failuresByKind).reduce((sum, count) => sum + count, 0);
  return {
    requests: latencies.length + failures,
    failures,
    failuresByKind,
    seconds: round(seconds),
    ratePerSecond: round((latencies.length + failures) / seconds),
    latencyP50Milliseconds: round(percentile(latencies, 0.5)),
    latencyP99Milliseconds: round(percentile(latencies, 0.99)),
  };
}
