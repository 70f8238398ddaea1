/**
 * OpenTelemetry traces of the proxy: one span per request (`rekey.proxy <METHOD>`, kind
 * server) carrying the token, credential, key version, model, status and provider tokens
 * — names and numbers only, never a key, a token secret, a header or a body. Exported
 * over OTLP/HTTP (JSON) by the OpenTelemetry SDK; the exporter reads the standard
 * variables itself (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * OTEL_EXPORTER_OTLP_HEADERS, …), OTEL_SERVICE_NAME names the service.
 *
 * Off unless asked for (`rekey proxy --otel`, or OTEL_TRACES_EXPORTER=otlp): when off,
 * this module is never loaded and the proxy does no tracing work at all.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ProxyLogEntry } from './proxy-handler.js';

export interface ProxyTracing {
  /** Records the span of one finished request (start from `entry.at`, length from `entry.milliseconds`). */
  record(entry: ProxyLogEntry): void;
  /** Exports what is pending and stops. */
  close(): Promise<void>;
}

export interface ProxyTracingOptions {
  /** The traces endpoint (default: from the OTEL_* variables, else http://localhost:4318/v1/traces). */
  url?: string | undefined;
  serviceName?: string | undefined;
  /** Batch delay (default 5 s, the SDK's). */
  exportDelayMilliseconds?: number | undefined;
}

export function createProxyTracing(options: ProxyTracingOptions = {}): ProxyTracing {
  const exporter = new OTLPTraceExporter(options.url === undefined ? {} : { url: options.url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'rekey-proxy' }),
    spanProcessors: [new BatchSpanProcessor(exporter, options.exportDelayMilliseconds === undefined ? {} : { scheduledDelayMillis: options.exportDelayMilliseconds })],
  });
  const tracer = provider.getTracer('rekey-proxy');
  return {
    record(entry) {
      const start = Date.parse(entry.at);
      const attributes: Record<string, string | number | boolean> = {
        'http.request.method': entry.method,
        'url.path': entry.path,
        'http.response.status_code': entry.status,
        'rekey.retried': entry.retried,
      };
      if (entry.token !== null) attributes['rekey.token'] = entry.token;
      if (entry.credential !== null) attributes['rekey.credential'] = entry.credential;
      if (entry.version !== null) attributes['rekey.key_version'] = entry.version;
      if (entry.model !== null) attributes['gen_ai.request.model'] = entry.model;
      if (entry.inputTokens !== null) attributes['gen_ai.usage.input_tokens'] = entry.inputTokens;
      if (entry.outputTokens !== null) attributes['gen_ai.usage.output_tokens'] = entry.outputTokens;
      const span = tracer.startSpan(`rekey.proxy ${entry.method}`, { kind: SpanKind.SERVER, startTime: start, attributes });
      if (entry.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(start + entry.milliseconds);
    },
    async close() {
      await provider.forceFlush();
      await provider.shutdown();
    },
  };
}
