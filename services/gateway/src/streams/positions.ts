import { randomBytes } from 'node:crypto';

// Positions of chat messages: each gateway numbers the messages it accepts for a stream under an
// origin of its own (`ChatEvent.origin`, `seq`), so a receiver can tell what it missed.

/** This process's tag: new at every start, so a restarted gateway's positions start afresh. */
const PROCESS_TAG = randomBytes(6).toString('base64url');
let opened = 0;

/**
 * A new origin: the process tag and a count of streams opened here. A stream reopened after it
 * was forgotten numbers its messages from 1 again under a new origin, never reusing positions.
 */
export function nextOrigin(): string {
  return `${PROCESS_TAG}.${(opened++).toString(36)}`;
}

/** Positions of one origin that did not arrive: `from` to `to`, inclusive. */
export interface Hole {
  origin: string;
  from: number;
  to: number;
  /** When it was seen. */
  at: number;
}
