export { RoarClient, type ClientStats } from './client.js';
export type { RoarClientOptions } from './options.js';
export { RoarClientError, ClientErrorCode, type RoarClientErrorOptions } from './errors.js';
export type {
  ConnectionState,
  Listener,
  RoarClientEvents,
  StatusChange,
  StreamChat,
  StreamGap,
  StreamJoined,
  StreamReactions,
  StreamViewers,
} from './events.js';
export type { BackoffOptions } from './backoff.js';
export type { PlaybackOptions } from './playback.js';
export type { Clock, Timer } from './clock.js';
export { ANON_ID_KEY, memoryStorage, type KeyValueStorage } from './anon-id.js';
export type {
  ConnectRequest,
  Transport,
  TransportFactory,
  TransportListener,
} from './transport.js';
export {
  WebSocketTransport,
  type WebSocketConstructor,
  type WebSocketLike,
} from './websocket-transport.js';
// The protocol types and codes apps handle, so they need not depend on @roar/protocol directly.
export {
  CloseCode,
  ErrorCode,
  type ChatEvent,
  type JoinedMessage,
  type UserRef,
  type ViewerCount,
  type WelcomeMessage,
} from '@roar/protocol';
