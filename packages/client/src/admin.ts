import {
  ADMIN_OPERATIONS,
  type AdminErrorBody,
  type AdminOperationId,
  type AdminOperations,
} from './admin-api.js';

export * from './admin-api.js';

export interface AdminClientOptions {
  /** The gateway's HTTP origin, e.g. `https://roar.example.com` (no `/admin/v1`). */
  baseUrl: string;
  /** A bearer JWT with a `moderator:<stream>`, `broadcaster:<stream>` or `admin` role, or a function for a fresh one. */
  token?: string | (() => string | Promise<string>);
  /** An API key from `ROAR_ADMIN_API_KEYS` (sent as `X-Api-Key`); full rights. For servers only. */
  apiKey?: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
}

/** A refusal from the admin API: the HTTP status and the server's `{error: {code, message}}`. */
export class AdminApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'AdminApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * The typed admin API client (`@roar/client/admin`). Each operation of docs/openapi.yaml is
 * called by its `operationId` with its path parameters, `query`, `body` and `idempotencyKey`;
 * the result is the operation's success body. Types and the operation table are generated from
 * the document (`admin-api.ts`), so the client cannot drift from the server.
 *
 * ```ts
 * const admin = new AdminClient({ baseUrl: 'https://roar.example.com', token: modToken });
 * const { ban } = await admin.call('timeoutUser', { stream: 'final', body: { userId: 'u1', seconds: 600 } });
 * ```
 *
 * Errors reject with `AdminApiError` (`status`, `code`): 400/415 for requests the document does
 * not allow, 401/403 for credentials, 404, 409 for a replayed `idempotencyKey`, 413, 503.
 */
export class AdminClient {
  readonly #o: AdminClientOptions;

  constructor(options: AdminClientOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError(`baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
    }
    this.#o = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  async call<K extends AdminOperationId>(
    operation: K,
    ...[input]: AdminInputArgs<K>
  ): Promise<AdminOperations[K]['output']> {
    const spec = ADMIN_OPERATIONS[operation];
    const args = (input ?? {}) as Record<string, unknown> & {
      query?: Record<string, unknown>;
      body?: unknown;
      idempotencyKey?: string;
    };
    const path = spec.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = args[name];
      if (typeof value !== 'string' || value.length === 0) {
        throw new TypeError(`${operation} needs the path parameter ${name}`);
      }
      return encodeURIComponent(value);
    });
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(args.query ?? {}))
      if (v !== undefined) query.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = typeof this.#o.token === 'function' ? await this.#o.token() : this.#o.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (this.#o.apiKey) headers['x-api-key'] = this.#o.apiKey;
    if (args.idempotencyKey !== undefined) headers['idempotency-key'] = args.idempotencyKey;
    let body: string | undefined;
    if (spec.body !== 'none' && args.body !== undefined) {
      body = JSON.stringify(args.body);
      headers['content-type'] = 'application/json';
    }
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    const res = await (this.#o.fetch ?? globalThis.fetch)(`${this.#o.baseUrl}${path}${qs}`, {
      method: spec.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const error = (parsed as Partial<AdminErrorBody> | undefined)?.error;
      throw new AdminApiError(
        res.status,
        error?.code ?? 'http_error',
        error?.message ?? `${spec.method} ${path} answered ${res.status}`,
      );
    }
    return parsed as AdminOperations[K]['output'];
  }
}

/** An operation's input is optional when it has nothing required. */
type AdminInputArgs<K extends AdminOperationId> =
  Record<string, never> extends AdminOperations[K]['input']
    ? [input?: AdminOperations[K]['input']]
    : [input: AdminOperations[K]['input']];
