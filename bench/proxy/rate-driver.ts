/**
 * The open-loop load driver of `bench/proxy` (its own process, pinned by the parent with
 * taskset): sends requests at a fixed rate whatever the answers do, wrk2-style, and times
 * each one from the moment it was *due*, not from when it was sent, so a stalled target
 * cannot hide its queue (no coordinated omission). Job from the REKEY_BENCH_JOB environment
 * variable (it carries a virtual token: never a process argument); prints one JSON line.
 *
 *   mode "rate":   { url, headers, bodyFile, rate, seconds, connections }
 *   mode "stream": { targets: [{ name, url, headers }], bodyFile, rounds } — sequential
 *                  streamed requests, interleaved across targets: time to first byte and
 *                  the gaps between body chunks.
 */
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';

interface RateJob {
  mode: 'rate';
  url: string;
  headers: Record<string, string>;
  bodyFile: string;
  rate: number;
  seconds: number;
  connections: number;
}

interface StreamJob {
  mode: 'stream';
  targets: { name: string; url: string; headers: Record<string, string> }[];
  bodyFile: string;
  rounds: number;
}

function send(agent: Agent, url: URL, headers: Record<string, string>, body: Buffer, onChunk?: (at: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const outgoing = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length } }, (answer) => {
      answer.on('data', () => onChunk?.(performance.now()));
      answer.on('end', () => resolve(answer.statusCode ?? 0));
      answer.on('error', () => resolve(0));
    });
    outgoing.on('error', () => resolve(0));
    outgoing.end(body);
  });
}

async function runRate(job: RateJob) {
  const url = new URL(job.url);
  const body = readFileSync(job.bodyFile);
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const total = Math.round(job.rate * job.seconds);
  // Not answered by the end: counted as failed, with an infinite latency (above every percentile it reaches).
  const latencies = new Float64Array(total).fill(Number.POSITIVE_INFINITY);
  let done = 0;
  let failures = 0;
  let sent = 0;
  const started = performance.now() + 50;
  await new Promise<void>((finish) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now goes out now; the next tick comes as soon as the loop is free.
      while (sent < total && started + (sent * 1000) / job.rate <= now) {
        const index = sent;
        const due = started + (index * 1000) / job.rate;
        sent += 1;
        void send(agent, url, job.headers, body).then((status) => {
          latencies[index] = performance.now() - due;
          if (status !== 200) failures += 1;
          done += 1;
          if (done === total) finish();
        });
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, started + (sent * 1000) / job.rate - performance.now())));
    };
    setTimeout(tick, 50);
    // An overloaded target: stop waiting 5 s after the last request was due.
    setTimeout(finish, job.seconds * 1000 + 5_050).unref();
  });
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const unanswered = total - done;
  return { requests: total, failures: failures + unanswered, unanswered, achievedPerSecond: done / elapsed, ...percentiles(Array.from(latencies)) };
}

function percentiles(values: number[]) {
  const sorted = values.sort((left, right) => left - right);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
  return { p50Milliseconds: at(0.5), p99Milliseconds: at(0.99), p999Milliseconds: at(0.999), maxMilliseconds: sorted[sorted.length - 1] ?? Number.NaN };
}

async function runStream(job: StreamJob) {
  const body = readFileSync(job.bodyFile);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples = Object.fromEntries(job.targets.map((target) => [target.name, { ttfb: [] as number[], gaps: [] as number[], chunks: [] as number[], total: [] as number[], failures: 0 }]));
  for (let round = 0; round < job.rounds; round += 1) {
    for (let offset = 0; offset < job.targets.length; offset += 1) {
      const target = job.targets[(round + offset) % job.targets.length]!;
      const sample = samples[target.name]!;
      const times: number[] = [];
      const start = performance.now();
      const status = await send(agent, new URL(target.url), target.headers, body, (at) => times.push(at));
      if (status !== 200 || times.length === 0) {
        sample.failures += 1;
        continue;
      }
      if (round < 20) continue; // warm-up
      sample.ttfb.push(times[0]! - start);
      sample.total.push(performance.now() - start);
      sample.chunks.push(times.length);
      for (let index = 1; index < times.length; index += 1) sample.gaps.push(times[index]! - times[index - 1]!);
    }
  }
  agent.destroy();
  return Object.fromEntries(
    Object.entries(samples).map(([name, sample]) => {
      const ttfb = percentiles(sample.ttfb);
      const gaps = percentiles(sample.gaps);
      const chunks = [...sample.chunks].sort((left, right) => left - right);
      return [name, { streams: sample.ttfb.length, failures: sample.failures, ttfbP50Milliseconds: ttfb.p50Milliseconds, ttfbP99Milliseconds: ttfb.p99Milliseconds, gapP50Milliseconds: gaps.p50Milliseconds, gapP99Milliseconds: gaps.p99Milliseconds, chunksPerStreamMedian: chunks[Math.floor(chunks.length / 2)] ?? 0, totalP50Milliseconds: percentiles(sample.total).p50Milliseconds }];
    }),
  );
}

const job = JSON.parse(process.env.REKEY_BENCH_JOB ?? '{}') as RateJob | StreamJob;
const result = job.mode === 'stream' ? await runStream(job) : await runRate(job);
process.stdout.write(`${JSON.stringify(result)}\n`);
