import { EncodedEvent, type ChatEvent, type StreamEvent } from '@roar/protocol';
import type { Store } from '@roar/store';
import type { StreamState } from './stream-state.js';

/** Reads a stream's moderation again when control news landed during a read, this many times. */
const LOAD_ATTEMPTS = 3;

/**
 * Loads a stream's rules, bans and pin from the store into its cache, confirming them (see
 * `StreamModeration.provisional`). Rejects, leaving the cache as it was, when the store fails.
 *
 * A ban is written to the store before its control event is sent, so a read that starts after
 * the event arrived includes it; a read that was already under way may not, and installing it
 * would undo the ban here. Such a read is discarded and made again. `current` says whether the
 * store's generation check still holds (no reconnect since); when it does not, the read is
 * discarded too, and the caller's next sync checks the generation first.
 */
export async function loadStreamModeration(
  state: StreamState,
  store: Store,
  now: () => number,
  current: () => boolean = () => true,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const seen = state.mod.changes;
    const [overrides, bans, pin] = await Promise.all([
      store.moderation.getSettings(state.id),
      store.moderation.listBans(state.id, now()),
      store.moderation.getPin(state.id),
    ]);
    // The store reconnected since its generation was checked: it may have come back empty.
    if (!current()) throw new Error(`the store reconnected while ${state.id}'s rules loaded`);
    if (state.mod.changes === seen) {
      state.mod.confirm({
        overrides,
        bans,
        pinned: pin ? EncodedEvent.fromMsgpack<ChatEvent>(pin.bytes) : undefined,
      });
      return;
    }
    if (attempt >= LOAD_ATTEMPTS) {
      throw new Error(`moderation of ${state.id} changed during ${LOAD_ATTEMPTS} loads in a row`);
    }
  }
}

/**
 * Applies a moderation event from the bus to this gateway's copy of the stream before it is
 * fanned out: a deleted message leaves the history joiners get, a cleared chat empties it, a pin
 * replaces the pinned message. Returns the event to deliver.
 */
export function applyModEvent(
  state: StreamState,
  event: StreamEvent,
  onDelete: (id: string) => void,
): boolean {
  switch (event.type) {
    case 'delete':
      // A message deleted before its turn in this tick's batch never goes out at all.
      state.dropChat(event.id);
      onDelete(event.id);
      return true;
    case 'clear':
      state.clearChat();
      return true;
    case 'pin':
      state.mod.pin(event.message ? EncodedEvent.of(event.message) : undefined);
      return true;
    case 'announcement':
      return true;
    default:
      // Bans and settings travel as control events; anything else on this subject is not ours.
      return false;
  }
}
