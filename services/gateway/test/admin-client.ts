import type { OpenApi } from './openapi.js';

export interface AdminCall {
  token?: string;
  apiKey?: string;
  body?: unknown;
  /** Sent as is (for malformed-body tests); skips request validation. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface AdminReply {
  status: number;
  body: unknown;
}

/** Calls the admin API and checks the exchange against the OpenAPI document. */
export function adminClient(baseUrl: string, api: OpenApi) {
  return async function call(
    method: string,
    path: string,
    options: AdminCall = {},
  ): Promise<AdminReply> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.apiKey) headers['x-api-key'] = options.apiKey;
    let body: string | undefined = options.rawBody;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (options.body !== undefined) {
      api.checkRequest(method, path, options.body);
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    api.checkResponse(method, path, res.status, parsed);
    return { status: res.status, body: parsed };
  };
}
