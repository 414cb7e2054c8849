/** An HTTP request as route handlers see it: read in full before the handler runs. */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Route parameters by name (`/v1/streams/:id/viewers` → `params.id`). */
  params: Record<string, string>;
  /** A header by lower-case name. */
  header(name: string): string | undefined;
  /** The body, for methods that have one. */
  body: Uint8Array | undefined;
  ip: string;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export type HttpHandler = (req: HttpRequest) => HttpReply | Promise<HttpReply>;

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'del' | 'options' | 'any';

export interface Route {
  method: HttpMethod;
  pattern: string;
  handler: HttpHandler;
  /** Bodies larger than this are refused with 413 before the handler runs. */
  maxBodyBytes?: number;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusLine(status: number): string {
  return `${status} ${REASONS[status] ?? 'Status'}`;
}

/** A JSON reply; errors use `{ error: { code, message } }` everywhere. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpReply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function jsonError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): HttpReply {
  return json(status, { error: { code, message } }, headers);
}
