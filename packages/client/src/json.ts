// `@roar/client/json`: the SDK's core speaking JSON only, without msgpackr (see the README's size
// table). `@roar/client` (index.ts) is this plus msgpack, its default codec. Polls, Q&A, live
// state and replay have entries of their own (`@roar/client/polls`, `/qa`, `/live-state`,
// `/replay`), which work with either client.
export { RoarClient, type ChatSent, type ClientStats } from './client.js';
export type { CodecTable, RoarClientOptions } from './options.js';
export { RoarClientError, ClientErrorCode, type RoarClientErrorOptions } from './errors.js';
export type {
  ConnectionState,
  Listener,
  RoarClientEvents,
  ServerDegradation,
  StatusChange,
  StreamAnnouncement,
  StreamChat,
  StreamClear,
  StreamDelete,
  StreamGap,
  StreamJoined,
  StreamPin,
  StreamReactions,
  StreamSampling,
  StreamSettings,
  StreamUserRemoved,
  StreamViewers,
} from './events.js';
export type { BackoffOptions } from './backoff.js';
export type { AdmissionFetch, AdmissionPlace } from './admission.js';
export type { PlaybackOptions } from './playback.js';
export type { Clock, Timer } from './clock.js';
export { ANON_ID_KEY, memoryStorage, type KeyValueStorage } from './anon-id.js';
export type {
  ConnectRequest,
  Transport,
  TransportFactory,
  TransportListener,
} from './transport.js';
export type { TransportMode } from './transport-choice.js';
export {
  WebSocketTransport,
  type WebSocketConstructor,
  type WebSocketLike,
} from './websocket-transport.js';
export {
  SseTransport,
  eventStreamBase,
  type EventSourceConstructor,
  type EventSourceLike,
  type FetchLike,
  type SseTransportOptions,
} from './sse-transport.js';
// The protocol types and codes apps handle, so they need not depend on @roar/protocol directly.
export {
  CloseCode,
  ErrorCode,
  type AnnouncementEvent,
  type ChatEvent,
  type JoinedMessage,
  type ModAction,
  type PublicSettings,
  type UserRef,
  type ViewerCount,
  type WelcomeMessage,
} from '@roar/protocol/core';
