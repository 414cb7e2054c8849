// HTTP over uWebSockets.js: headers, bodies and replies for `UwsTransport`'s routes. Only the
// transport modules see uWS types.
import type { HttpRequest as UwsRequest, HttpResponse as UwsResponse } from 'uWebSockets.js';
import { jsonError, statusLine, type HttpReply } from '../base/http.js';

/** Path parameters arrive percent-encoded; a malformed escape is kept as is (and fails validation). */
export function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Headers whose repeated lines are joined into one list, as RFC 9110 allows. */
const LISTS = new Set(['x-forwarded-for', 'content-length', 'transfer-encoding']);

export function readHeaders(req: UwsRequest): Map<string, string> {
  const headers = new Map<string, string>();
  req.forEach((k, v) => {
    // Proxies may each add an X-Forwarded-For line: together they are one list, in order.
    const before = LISTS.has(k) ? headers.get(k) : undefined;
    headers.set(k, before === undefined ? v : `${before}, ${v}`);
  });
  return headers;
}

/**
 * Why a request's body framing is ambiguous, if it is. uWS reads a body by the first
 * `Content-Length`; a proxy in front may use the last, or `Transfer-Encoding`, and the bytes
 * one of them takes for a body the other takes for the next request (request smuggling).
 * Repeats of one value are allowed (RFC 9110 §8.6); anything else is refused.
 */
export function framingError(headers: Map<string, string>): string | undefined {
  const length = headers.get('content-length');
  if (length !== undefined) {
    const values = new Set(length.split(',').map((v) => v.trim()));
    if (values.size > 1) return 'conflicting Content-Length headers';
    const [value] = values;
    if (!/^[0-9]+$/.test(value ?? '')) return 'Content-Length is not a number';
    if (headers.has('transfer-encoding'))
      return 'Content-Length and Transfer-Encoding on one request';
  }
  return undefined;
}

/**
 * Refuses a request whose framing is ambiguous, and closes its connection. The reply waits a
 * turn: uWS reads on past the first body at once, and if the bytes after it parse as another
 * request while this response is pending, uWS drops the connection itself (what a smuggler hid
 * there is never served). Otherwise the 400 goes out with `Connection: close`.
 */
export function refuseFraming(res: UwsResponse, reason: string): void {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  setImmediate(() => {
    if (aborted) return;
    const reply = jsonError(400, 'bad_request', reason);
    res.cork(() => {
      res.writeStatus(statusLine(reply.status));
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
      res.end(reply.body ?? '', true);
    });
  });
}

export function readBody(
  res: UwsResponse,
  max: number,
  done: (body: Uint8Array | 'too-large') => void,
): void {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let finished = false;
  res.onData((chunk, isLast) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > max) {
      finished = true;
      return done('too-large');
    }
    // uWS reuses the chunk's memory after this callback returns, so it is copied.
    chunks.push(new Uint8Array(chunk.slice(0)));
    if (isLast) {
      finished = true;
      const body = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        body.set(c, offset);
        offset += c.length;
      }
      done(body);
    }
  });
}

export function writeReply(res: UwsResponse, reply: HttpReply, head = false): void {
  res.writeStatus(statusLine(reply.status));
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
  if (!head) return void res.end(reply.body ?? '');
  const body = reply.body ?? '';
  res.endWithoutBody(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
}
