/**
 * Set (to `1`) on a chat message that the chat relay left out and the accepting gateway's relay
 * bus hands back to that gateway alone, so that only its sender is shown it. Never on the wire:
 * only the relay bus's local delivery carries it.
 */
export const RELAY_KEPT_HEADER = 'roar-relay-kept';
