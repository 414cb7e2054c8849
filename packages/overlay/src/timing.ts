/** Runs `callback` after `delayMs`; returns the function that cancels it. Injected by tests. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

export const schedule: Schedule = (callback, delayMs) => {
  const handle = setTimeout(callback, delayMs);
  return () => clearTimeout(handle);
};
