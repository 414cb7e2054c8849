/**
 * What one stream counted here for the next reports to the aggregator: reactions, chat accepted,
 * identities for the unique counter. Written by the stream's joins and accepted requests, and
 * taken (reset) by the `Reporter` and `IdentityWriter`, each through its own methods.
 */
export class StreamCounters {
  /** When this stream was last included in a report to the aggregator. */
  #lastReportedAt = 0;
  /** Local viewers as last reported to the aggregator, for early reports (see `Reporter`). */
  #reportedViewers = 0;
  /** New identities were added to the unique counter since the last report. */
  #identitiesCounted = false;
  /** Reactions counted locally in the current window, for the next reaction report. */
  #reactions = new Map<string, number>();
  /** Identities first seen here, not yet written to the unique counter. */
  #newIdentities: string[] = [];
  /** Identities written to the store, to be sent in the next report too (`uniquesInReports`). */
  #reportIdentities: string[] = [];
  /** Chat messages this gateway accepted for the stream since the last report. */
  #chatAccepted = 0;

  /** A viewer joined: its identity goes to the unique counter. */
  noteIdentity(identityKey: string): void {
    this.#newIdentities.push(identityKey);
  }

  countReaction(emoji: string): void {
    this.#reactions.set(emoji, (this.#reactions.get(emoji) ?? 0) + 1);
  }

  countChat(): void {
    this.#chatAccepted++;
  }

  /** When this stream was last included in a report to the aggregator. */
  get lastReportedAt(): number {
    return this.#lastReportedAt;
  }

  /** Local viewers as last reported to the aggregator. */
  get reportedViewers(): number {
    return this.#reportedViewers;
  }

  /** The identities to write to the unique counter (each once), or undefined when none. */
  takeNewIdentities(): string[] | undefined {
    if (this.#newIdentities.length === 0) return undefined;
    const ids = [...new Set(this.#newIdentities)];
    this.#newIdentities = [];
    return ids;
  }

  /**
   * A write of `ids` failed: they wait for the next one, before those noted since, at most `max`
   * in all (the oldest go). Returns how many were dropped.
   */
  retryIdentities(ids: string[], max: number): number {
    const pending = ids.concat(this.#newIdentities);
    const over = pending.length - max;
    this.#newIdentities = over > 0 ? pending.slice(over) : pending;
    return Math.max(0, over);
  }

  /** Identities were added to the unique counter: the next report says so. */
  noteIdentitiesCounted(): void {
    this.#identitiesCounted = true;
  }

  /** Written identities that the next report carries too, while fewer than `max` wait. */
  queueReportIdentities(ids: string[], max: number): void {
    if (this.#reportIdentities.length < max) this.#reportIdentities.push(...ids);
  }

  /**
   * Takes what the next count report says of this stream, `viewers` being the count it reports:
   * the chat accepted since the last one, whether identities were counted, and (when
   * `withIdentities`) the identities to carry.
   */
  takeReport(
    viewers: number,
    now: number,
    withIdentities: boolean,
  ): { chat: number; counted: boolean; identities: string[] | undefined } {
    const chat = this.#chatAccepted;
    const counted = this.#identitiesCounted;
    let identities: string[] | undefined;
    if (withIdentities && this.#reportIdentities.length > 0) {
      identities = this.#reportIdentities;
      this.#reportIdentities = [];
    }
    this.#reportedViewers = viewers;
    this.#chatAccepted = 0;
    this.#identitiesCounted = false;
    this.#lastReportedAt = now;
    return { chat, counted, identities };
  }

  /** The reactions counted since the last call, or undefined when none. */
  takeReactions(): Map<string, number> | undefined {
    if (this.#reactions.size === 0) return undefined;
    const reactions = this.#reactions;
    this.#reactions = new Map();
    return reactions;
  }
}
