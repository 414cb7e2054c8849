// Imported by transport-uws.ts before uWebSockets.js: the library reads this variable once, when
// it loads, so it must be in the environment first.

/**
 * Most bytes of HTTP request headers uWS accepts (its default is 4 KiB, past which it answers
 * 431). 16 KiB holds the longest token Roar accepts (8,192 characters, `MAX_TOKEN_CHARS`) in
 * `Authorization` or `?token=`, plus the cookies and headers a browser sends with it.
 */
export const MAX_HEADERS_BYTES = 16 * 1024;

// Raised, never lowered: below this the token limit would be unreachable again.
const configured = Number(process.env.UWS_HTTP_MAX_HEADERS_SIZE);
if (!(configured >= MAX_HEADERS_BYTES)) {
  process.env.UWS_HTTP_MAX_HEADERS_SIZE = String(MAX_HEADERS_BYTES);
}
