// A test OTLP/HTTP receiver: what the services of a distributed run export (JSON encoding, as
// @opentelemetry/exporter-trace-otlp-http sends it), collected by trace id.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TracedSpan } from './order-trace.ts';

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
      }[];
    }[];
  }[];
}

export interface OtlpReceiver {
  endpoint: string;
  spans(traceId: string): TracedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const byTrace = new Map<string, TracedSpan[]>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces' && request.headers['content-type']?.includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
        for (const resource of body.resourceSpans ?? []) {
          const service =
            resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value
              .stringValue ?? '?';
          for (const scope of resource.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              const list = byTrace.get(span.traceId) ?? [];
              list.push({
                service,
                name: span.name,
                kind: KINDS[span.kind] ?? 'unspecified',
                spanId: span.spanId,
                ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              });
              byTrace.set(span.traceId, list);
            }
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: (traceId) => byTrace.get(traceId) ?? [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
