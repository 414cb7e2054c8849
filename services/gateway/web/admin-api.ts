import type { ChatEvent, PublicSettings } from '@roar/client';

/** The rules in force, as the admin API returns them: the public ones and two for moderators. */
export type StreamSettings = PublicSettings & { holdS: number; bannedTerms: string[] };

export interface HeldMessage {
  id: string;
  at: number;
  reason: string;
  message: ChatEvent;
}

/** A ban (`until` null) or a running timeout, in this stream. */
export interface Ban {
  userId: string;
  scope: string;
  until: number | null;
  reason: string;
  by: string;
  at: number;
}

export interface AuditEntry {
  id: string;
  at: number;
  scope: string;
  actor: string;
  action: string;
  target?: string;
  reason?: string;
  /** What else the action carried: an announcement's text, the settings changed. */
  details?: Record<string, unknown>;
}

/** An admin API refusal, with the API's stable error code. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

/**
 * The admin API (docs/openapi.yaml) for one stream, authenticated with the same bearer token
 * the WebSocket uses: a moderator or broadcaster role for the stream (or admin) is all it takes.
 */
export class AdminApi {
  readonly #stream: string;
  readonly #token: () => string | undefined;

  constructor(stream: string, token: () => string | undefined) {
    this.#stream = stream;
    this.#token = token;
  }

  deleteMessage(id: string): Promise<unknown> {
    return this.#call('DELETE', `/messages/${encodeURIComponent(id)}`);
  }

  timeout(userId: string, seconds: number, reason?: string): Promise<unknown> {
    return this.#call('POST', '/timeouts', { userId, seconds, ...(reason ? { reason } : {}) });
  }

  ban(userId: string, reason?: string): Promise<unknown> {
    return this.#call('POST', '/bans', { userId, ...(reason ? { reason } : {}) });
  }

  async bans(): Promise<Ban[]> {
    return ((await this.#call('GET', '/bans')) as { bans: Ban[] }).bans;
  }

  /** Lifts a ban or ends a timeout early. */
  unban(userId: string): Promise<unknown> {
    return this.#call('DELETE', `/bans/${encodeURIComponent(userId)}`);
  }

  pin(messageId: string): Promise<unknown> {
    return this.#call('PUT', '/pin', { messageId });
  }

  unpin(): Promise<unknown> {
    return this.#call('DELETE', '/pin');
  }

  clear(): Promise<unknown> {
    return this.#call('POST', '/clear', {});
  }

  announce(text: string): Promise<unknown> {
    return this.#call('POST', '/announcements', { text });
  }

  async settings(): Promise<StreamSettings> {
    return ((await this.#call('GET', '/settings')) as { settings: StreamSettings }).settings;
  }

  async updateSettings(patch: Partial<StreamSettings>): Promise<StreamSettings> {
    const reply = (await this.#call('PATCH', '/settings', patch)) as { settings: StreamSettings };
    return reply.settings;
  }

  async held(): Promise<HeldMessage[]> {
    return ((await this.#call('GET', '/held')) as { held: HeldMessage[] }).held;
  }

  approve(id: string): Promise<unknown> {
    return this.#call('POST', `/held/${encodeURIComponent(id)}/approve`);
  }

  deny(id: string): Promise<unknown> {
    return this.#call('POST', `/held/${encodeURIComponent(id)}/deny`, {});
  }

  async audit(limit = 50): Promise<AuditEntry[]> {
    return ((await this.#call('GET', `/audit?limit=${limit}`)) as { entries: AuditEntry[] })
      .entries;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = {};
    const token = this.#token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `/admin/v1/streams/${encodeURIComponent(this.#stream)}${path}`;
    const res = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const reply: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const error = (reply as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      throw new AdminError(
        res.status,
        typeof error?.code === 'string' ? error.code : 'http_error',
        typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`,
      );
    }
    return reply;
  }
}
