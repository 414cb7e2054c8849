// What every protocol driver shares: the WebSocket client (`ws`, the same library for every
// server), the refused-upgrade path, and the chat text that carries its send time.
import WebSocket from 'ws';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const nowMs = () => performance.timeOrigin + performance.now();

const FILLER = 'what a shot, that is going all the way over long on for six ';

/** The chat text every server carries: the send time first, padded to 64 characters. */
export function chatText(seq, sentAt = nowMs()) {
  const head = `${sentAt.toFixed(2)} #${seq} `;
  return head + FILLER.slice(0, Math.max(0, 64 - head.length));
}

/** The send time a chat text carries (NaN for text not sent by the bench). */
export function sentAtOf(text) {
  return typeof text === 'string' ? parseFloat(text) : NaN;
}

export class RefusedError extends Error {
  constructor(status, retryAfter) {
    super(`upgrade refused with HTTP ${status}`);
    this.code = 'refused';
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/**
 * Opens a WebSocket and runs `handshake(ws, done, fail)` (the protocol's own steps after the
 * upgrade) until it calls `done()`; rejects with `RefusedError` for an HTTP refusal, or with the
 * error or timeout otherwise. Messages after the handshake go to `onMessage`.
 */
export function openSocket({
  url,
  protocol,
  localAddress,
  timeoutMs = 20_000,
  handshake,
  onClose,
}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol, {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      localAddress,
      // The bench reads every frame; no need to let ws buffer more than the kernel does.
      maxPayload: 1 << 20,
    });
    let settled = false;
    const timer = setTimeout(() => fail(new Error('protocol handshake timed out')), timeoutMs);
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ws);
    };
    ws.on('unexpected-response', (req, res) => {
      const error = new RefusedError(res.statusCode, res.headers['retry-after']);
      res.resume();
      req.destroy();
      fail(error);
    });
    ws.on('error', (error) => fail(error));
    ws.on('close', (code) => {
      if (!settled) fail(new Error(`closed during handshake (${code})`));
      else onClose?.(code);
    });
    handshake(ws, done, fail);
  });
}
