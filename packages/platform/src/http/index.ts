export type {
  CallContext,
  CircuitStatus,
  HttpClient,
  HttpClientLogger,
  HttpClientOptions,
  HttpMethod,
  HttpRequest,
  HttpResponse,
  QueryValue,
  RequestOptions,
} from './client-types.ts';
export { createHttpClient } from './resilient-client.ts';
