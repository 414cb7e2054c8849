/**
 * WebSocket close codes the server uses. Ranges decide what a client does next:
 * - 4000–4499: reconnect, with jittered exponential backoff (and any delay the server suggested);
 * - 4500–4999: do not reconnect until something changes (a new token, a fixed client);
 * - 1000–1015 are the standard codes; 1001, 1006 and 1011 mean reconnect, the others do not.
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** Not sent by Roar's gateway (it drops such connections; clients see 1006); listed for peers. */
  InvalidPayload: 1007,
  /** Not sent by Roar's gateway (it drops such connections; clients see 1006); listed for peers. */
  MessageTooBig: 1009,
  InternalError: 1011,

  /** The server is restarting or draining; reconnect after the suggested delay. */
  ServerRestart: 4000,
  /** The client did not read fast enough and fell too far behind. */
  SlowConsumer: 4001,
  /** The client sent frames faster than the connection limit for too long. */
  Flood: 4003,

  /** Repeated malformed frames: a broken client. */
  ProtocolViolation: 4500,
  /** The token is not valid (bad signature, wrong issuer, `alg: none`...). */
  Unauthorized: 4501,
  /** The token expired: fetch a new one, then reconnect. */
  TokenExpired: 4502,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * The 4500–4999 range: the server refused this client for good, and dialling again will not help
 * until something changes (a new token, a fixed client). A client with another way to carry on
 * (the overlay polls) switches to it.
 */
export function isRefusal(code: number): boolean {
  return code >= 4500 && code < 5000;
}

/** What a client should do after the connection closed with `code`. */
export function shouldReconnect(code: number): boolean {
  if (code >= 4000 && code < 4500) return true;
  if (isRefusal(code)) return false;
  // 1005 (no status) and 1006 (abnormal, e.g. a dropped network) are never sent by the server.
  return (
    code === 1001 ||
    code === 1005 ||
    code === 1006 ||
    code === 1011 ||
    code === 1012 ||
    code === 1013
  );
}
