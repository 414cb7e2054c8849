/** Protocol version; a new major version gets new subprotocol names. */
export const PROTOCOL_VERSION = 1;

/** WebSocket subprotocols, in the server's order of preference. */
export const Subprotocol = {
  msgpack: 'roar.v1.msgpack',
  json: 'roar.v1.json',
} as const;
export type CodecName = keyof typeof Subprotocol;
