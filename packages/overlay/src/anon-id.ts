/** The key the SDK keeps its anonymous id under: a page with both counts as one viewer. */
const KEY = 'roar.anonId';
const ID = /^[A-Za-z0-9_-]{8,64}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * This device's anonymous viewer id, so it counts once among the unique viewers however often it
 * reconnects or reloads. Kept in `localStorage` when the page may use it.
 */
export function anonId(): string {
  try {
    const stored = localStorage.getItem(KEY);
    if (stored !== null && ID.test(stored)) return stored;
  } catch {
    // Storage blocked (sandboxed iframe, privacy settings): a fresh id per page load.
  }
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte & 63];
  try {
    localStorage.setItem(KEY, id);
  } catch {
    // As above: the id still holds for this page's lifetime.
  }
  return id;
}
