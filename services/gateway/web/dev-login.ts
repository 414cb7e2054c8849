/** What the dev login can grant: the demo's role picker. */
export type DemoRole = 'viewer' | 'moderator' | 'broadcaster' | 'subscriber';

/**
 * A token from the embedded server's dev login (`POST /dev/token`), which exists only in
 * development (embedded mode without a JWT key). Asked for before every connection attempt, so
 * the demo keeps working across server restarts, which sign with a new secret.
 */
export async function devToken(name: string, role: DemoRole, stream: string): Promise<string> {
  const roles = role === 'viewer' ? [] : [`${role}:${stream}`];
  const res = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, roles }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    token?: unknown;
    error?: { message?: unknown };
  };
  if (!res.ok || typeof body.token !== 'string') {
    const why = typeof body.error?.message === 'string' ? body.error.message : `HTTP ${res.status}`;
    throw new Error(`dev login refused: ${why}`);
  }
  return body.token;
}
