/** Hard limits of protocol v1. Per-stream settings may be stricter, never looser. */
export const Limits = {
  /** Most characters (Unicode code points) in one chat message. */
  chatMaxChars: 500,
  /** Most bytes of a frame a client may send; larger frames close the connection (1009). */
  maxClientFrameBytes: 4096,
  /** Most characters in a reaction emoji (a flag or a family is several code points). */
  emojiMaxChars: 16,
  /** `ref` is an unsigned 32-bit integer chosen by the client. */
  refMax: 0xffff_ffff,
  /** Chat message ids are at most this long. */
  messageIdMaxChars: 64,
  /** Most characters in one Q&A question (Q&A, issue 14). */
  questionMaxChars: 300,
} as const;

/** Stream ids: 1–64 of `A–Z a–z 0–9 _ -`. Safe in NATS subjects, Redis keys and URLs. */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Anonymous viewer ids kept by clients: 8–64 of `A–Z a–z 0–9 _ -`. */
export const ANON_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export function isStreamId(value: unknown): value is string {
  return typeof value === 'string' && STREAM_ID_PATTERN.test(value);
}

export function isAnonId(value: unknown): value is string {
  return typeof value === 'string' && ANON_ID_PATTERN.test(value);
}
