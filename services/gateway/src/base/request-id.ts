import { randomUUID } from 'node:crypto';

/** What an incoming `X-Request-Id` may hold to be kept (a proxy's or a client's id); else a new one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of an HTTP request for logs and the `X-Request-Id` reply header: the caller's own when
 * it sent a sane one (so one id follows a request through a proxy and the gateway), else a new
 * UUID.
 */
export function requestId(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : randomUUID();
}
