import { jsonError, type HttpHandler } from './http.js';

/**
 * The browser origins allowed to use this server (`ROAR_ALLOWED_ORIGINS`): the admin API's CORS,
 * and the `Origin` of WebSocket upgrades and event streams. `undefined` (the variable unset)
 * keeps the behaviour from before the variable existed: WebSocket and SSE from any origin, no
 * CORS on the admin API (same-origin pages only). `['*']` allows every origin everywhere.
 *
 * A request without an `Origin` header (a server, a CLI, a native app) and a same-origin request
 * (the `Origin`'s host is the request's `Host`) always pass: the list is about other sites'
 * pages, which are the only callers a browser labels.
 */
export type AllowedOrigins = readonly string[] | undefined;

/** Parses the variable's value: `*`, or a comma-separated list of `scheme://host[:port]`. */
export function parseAllowedOrigins(raw: string | undefined): AllowedOrigins {
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const entry of list) {
    if (entry === '*') continue;
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      origin = /^https?:$/.test(url.protocol) ? url.origin : undefined;
    } catch {
      origin = undefined;
    }
    if (origin !== entry) {
      throw new Error(
        `ROAR_ALLOWED_ORIGINS must list origins such as https://mods.example.com (scheme, host and port only, no path or trailing slash) or *, got "${entry}"`,
      );
    }
  }
  return list;
}

/** True when a request carrying `origin` (the header) and `host` may be served. */
export function originAllowed(
  allowed: AllowedOrigins,
  origin: string | undefined,
  host: string | undefined,
): boolean {
  if (allowed === undefined || origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  return sameOrigin(origin, host);
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const o = new URL(origin);
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * CORS headers for a reply of the admin API: the origin echoed when it is allowed, and
 * `Vary: Origin` whenever a list is configured, so that caches keep answers per origin.
 */
export function corsHeaders(
  allowed: AllowedOrigins,
  origin: string | undefined,
  host: string | undefined,
): Record<string, string> {
  if (allowed === undefined) return {};
  if (origin === undefined || !originAllowed(allowed, origin, host)) return { vary: 'Origin' };
  return { vary: 'Origin', 'access-control-allow-origin': origin };
}

/** A handler that first refuses (403) browser requests from origins outside the list. */
export function fromAllowedOrigins(allowed: AllowedOrigins, handler: HttpHandler): HttpHandler {
  if (allowed === undefined) return handler;
  return (req) =>
    originAllowed(allowed, req.header('origin'), req.header('host'))
      ? handler(req)
      : jsonError(403, 'origin_not_allowed', 'this origin is not in ROAR_ALLOWED_ORIGINS');
}
