/** Weight of a new sample in the running estimate: a few pings settle it, one outlier cannot. */
const SMOOTHING = 0.25;

/**
 * Estimates `serverClock − localClock` from ping round trips, so that playback alignment works on
 * devices whose clocks are wrong by seconds or hours. One sample assumes the pong was stamped
 * halfway through the round trip, so its error is at most half the round trip; samples are
 * smoothed (an exponential moving average) so that one slow round trip barely moves the estimate.
 */
export class ClockOffset {
  #offsetMs = 0;
  #samples = 0;

  /** Milliseconds to add to the local clock to read the server's; 0 until the first sample. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  get samples(): number {
    return this.#samples;
  }

  /** Records one round trip: sent and received on the local clock, `serverTs` from the pong. */
  add(sentAt: number, receivedAt: number, serverTs: number): void {
    if (!Number.isFinite(serverTs) || receivedAt < sentAt) return;
    const sample = serverTs - (sentAt + receivedAt) / 2;
    this.#offsetMs =
      this.#samples === 0 ? sample : this.#offsetMs + SMOOTHING * (sample - this.#offsetMs);
    this.#samples++;
  }
}
