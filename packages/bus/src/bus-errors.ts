// What the bus drivers do with failures in user code they call: status listeners and handlers.
// Internal to the package (not exported from index.ts).
import { logHandlerError, type BusStatus, type BusStatusListener } from './bus.js';

/** Tells every listener of `status`. */
export function emitStatus(listeners: Iterable<BusStatusListener>, status: BusStatus): void {
  for (const listener of listeners) {
    try {
      listener(status);
    } catch (error) {
      // One broken listener must not stop the others, nor the status tracking itself.
      console.error(`bus status listener failed on ${status.type}`, error);
    }
  }
}

/** Hands a handler's error to the bus's `onError`, and logs it if `onError` throws in turn. */
export function reportHandlerError(
  bus: { onError(error: unknown, subject: string): void },
  error: unknown,
  subject: string,
): void {
  try {
    bus.onError(error, subject);
  } catch (onErrorFailure) {
    // An exception escaping into nats.js's parser ends its read loop: the connection goes deaf
    // until the ping check calls it stale (three ping intervals) and reconnects.
    logHandlerError(onErrorFailure, subject);
  }
}
