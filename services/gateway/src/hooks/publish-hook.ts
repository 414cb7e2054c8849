import { validateChatText } from '@roar/protocol';
import type { HookClient } from './hook-client.js';
import type { HookMetrics } from './hook-metrics.js';
import type { FailMode } from '../base/hooks-config.js';

/** allow: publish; hold: keep for a moderator; deny: refuse (`denied`). */
export type PublishVerdict = 'allow' | 'hold' | 'deny';

export interface PublishInput {
  stream: string;
  userId: string;
  name: string;
  text: string;
}

export interface PublishResult {
  verdict: PublishVerdict;
  reason: string;
  /** The text to publish instead (the hook's `rewrite`), already checked like a viewer's. */
  text?: string;
}

/** A check before a viewer's message is published (the before-publish / AutoMod pattern). */
export interface PublishCheck {
  check(input: PublishInput): Promise<PublishResult>;
}

/** Built-in rules (`ROAR_AUTOMOD=rules`): hold shouting and character spam for a moderator. */
export class PublishRules implements PublishCheck {
  async check({ text }: PublishInput): Promise<PublishResult> {
    const letters = text.match(/\p{L}/gu) ?? [];
    const upper = letters.filter((c) => c !== c.toLowerCase()).length;
    if (letters.length >= 12 && upper / letters.length >= 0.7)
      return { verdict: 'hold', reason: 'caps' };
    if (/(.)\1{14,}/u.test(text)) return { verdict: 'hold', reason: 'repeated characters' };
    return { verdict: 'allow', reason: '' };
  }
}

export interface PublishHookOptions {
  client: HookClient;
  fail: FailMode;
  metrics: HookMetrics;
}

/**
 * The publish hook: POSTs `{stream, userId, name, text}`; the app answers
 * `{"action": "allow" | "hold" | "deny" | "rewrite", "reason"?, "text"?}` within the time budget
 * (`rewrite` publishes `text` instead, checked like a viewer's message). When the hook fails,
 * open publishes the message as it is and closed holds it for a moderator (never lost, never
 * published unchecked). Each message is its own decision: nothing is cached.
 */
export class PublishHook implements PublishCheck {
  readonly #o: PublishHookOptions;

  constructor(options: PublishHookOptions) {
    this.#o = options;
  }

  async check(input: PublishInput): Promise<PublishResult> {
    const { metrics } = this.#o;
    try {
      const result = await this.#o.client.call(input, parsePublishAnswer);
      metrics.decisions.inc({ hook: 'publish', source: 'backend' });
      return result;
    } catch {
      // The failure is counted by reason in roar_hook_requests_total.
      metrics.decisions.inc({ hook: 'publish', source: `fail_${this.#o.fail}` });
      return this.#o.fail === 'open'
        ? { verdict: 'allow', reason: 'publish hook unavailable (fail-open)' }
        : { verdict: 'hold', reason: 'publish hook unavailable (fail-closed)' };
    }
  }
}

function parsePublishAnswer(answer: unknown): PublishResult {
  const { action, reason, text } = (answer ?? {}) as Record<string, unknown>;
  const why = typeof reason === 'string' ? reason.slice(0, 200) : 'publish hook';
  switch (action) {
    case 'allow':
    case 'hold':
    case 'deny':
      return { verdict: action, reason: why };
    case 'rewrite':
      if (typeof text !== 'string') throw new Error('rewrite needs a text');
      return { verdict: 'allow', reason: why, text: validateChatText(text) };
    default:
      throw new Error('action must be allow, hold, deny or rewrite');
  }
}
