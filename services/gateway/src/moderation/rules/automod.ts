export type AutoModVerdict = 'allow' | 'hold' | 'deny';

export interface AutoModInput {
  stream: string;
  userId: string;
  name: string;
  text: string;
}

/** A check before a viewer's message is published (the AutoMod pattern). */
export interface AutoMod {
  check(input: AutoModInput): Promise<{ verdict: AutoModVerdict; reason: string }>;
}

/** Built-in rules: hold shouting and character spam for a moderator to look at. */
export class RulesAutoMod implements AutoMod {
  async check({ text }: AutoModInput): Promise<{ verdict: AutoModVerdict; reason: string }> {
    const letters = text.match(/\p{L}/gu) ?? [];
    const upper = letters.filter((c) => c !== c.toLowerCase()).length;
    if (letters.length >= 12 && upper / letters.length >= 0.7)
      return { verdict: 'hold', reason: 'caps' };
    if (/(.)\1{14,}/u.test(text)) return { verdict: 'hold', reason: 'repeated characters' };
    return { verdict: 'allow', reason: '' };
  }
}

export interface WebhookAutoModOptions {
  url: string;
  /** The check must answer within this; otherwise `failMode` decides. */
  timeoutMs: number;
  /** open: publish when the check fails or is slow; closed: hold the message instead. */
  failMode: 'open' | 'closed';
  onFailure?: (error: unknown) => void;
}

/**
 * POSTs `{stream, userId, name, text}` to a moderation service, which answers
 * `{"action": "allow" | "hold" | "deny", "reason"?: string}` within the time budget.
 */
export class WebhookAutoMod implements AutoMod {
  readonly #o: WebhookAutoModOptions;

  constructor(options: WebhookAutoModOptions) {
    this.#o = options;
  }

  async check(input: AutoModInput): Promise<{ verdict: AutoModVerdict; reason: string }> {
    try {
      const res = await fetch(this.#o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      if (!res.ok) throw new Error(`automod answered HTTP ${res.status}`);
      const body = (await res.json()) as { action?: unknown; reason?: unknown };
      if (body.action !== 'allow' && body.action !== 'hold' && body.action !== 'deny') {
        throw new Error('automod answered without a valid action');
      }
      return {
        verdict: body.action,
        reason: typeof body.reason === 'string' ? body.reason.slice(0, 200) : 'automod',
      };
    } catch (error) {
      this.#o.onFailure?.(error);
      return this.#o.failMode === 'open'
        ? { verdict: 'allow', reason: 'automod unavailable (fail-open)' }
        : { verdict: 'hold', reason: 'automod unavailable (fail-closed)' };
    }
  }
}
