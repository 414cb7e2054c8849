/**
 * The one way the demo shows a time of day (chat rows, the audit log, timeouts): hours and
 * minutes in the reader's locale, so no two lists disagree on the format.
 */
export function clock(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
