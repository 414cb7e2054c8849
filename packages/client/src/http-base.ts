/** The gateway's HTTP origin (and path prefix) for a WebSocket URL: `wss://h/ws` → `https://h`. */
export function httpBase(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return `${url.origin}${url.pathname.replace(/\/ws\/?$/, '').replace(/\/$/, '')}`;
}
