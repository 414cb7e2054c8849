export {
  signDelivery,
  verifySignature,
  SIGNATURE_HEADER,
  DEFAULT_TOLERANCE_S,
} from './signature.js';
export type { SignatureCheck } from './signature.js';
export { parseEndpoints, EndpointError, type WebhookEndpoint } from './endpoints.js';
export type { EventFeed } from './feed.js';
export { LogFeed } from './log-feed.js';
export { JetStreamFeed, type JetStreamFeedOptions } from './jetstream-feed.js';
export { Dispatcher, type DispatchOptions } from './dispatcher.js';
export {
  DeadLetters,
  MemoryDeadLetterJournal,
  type DeadLetter,
  type DeadLetterJournal,
} from './dead-letters.js';
export {
  JetStreamDeadLetterJournal,
  type JetStreamDeadLetterOptions,
} from './jetstream-dead-letters.js';
export { WebhookService, type WebhookServiceOptions } from './webhook-service.js';
export { readWebhookSettings, retrySpanMs, type WebhookSettings } from './settings.js';
export { readiness, type ReadinessParts, type WebhookReadiness } from './readiness.js';
