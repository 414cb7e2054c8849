/** Bytes no text codec would let through unchanged. */
export const awkward = (body: string): Uint8Array =>
  new Uint8Array([0x00, ...new TextEncoder().encode(body), 0xff, 0x80, 0x00]);
