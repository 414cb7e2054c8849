import { isAnonId } from '@roar/protocol/core';

/** The two calls of the Web Storage API the client needs; `localStorage` satisfies it. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Where the generated anonymous id is kept. */
export const ANON_ID_KEY = 'roar.anonId';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** 22 characters of 6 random bits: 132 bits, more than a UUID's 122. */
const ANON_ID_CHARS = 22;

/** A `Map` behind the storage interface, for runtimes without `localStorage`. */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
  };
}

/** `globalThis.localStorage` when the runtime has a usable one, else in-memory storage. */
export function defaultStorage(): KeyValueStorage {
  return readLocalStorage() ?? memoryStorage();
}

function readLocalStorage(): KeyValueStorage | undefined {
  try {
    return (globalThis as { localStorage?: KeyValueStorage }).localStorage;
  } catch {
    // Sandboxed iframes and blocked cookies make the getter itself throw (SecurityError).
    return undefined;
  }
}

/** A fresh random id matching the protocol's anonymous id pattern. */
export function generateAnonId(random: () => number): string {
  const bytes = new Uint8Array(ANON_ID_CHARS);
  const crypto = (globalThis as { crypto?: { getRandomValues(array: Uint8Array): Uint8Array } })
    .crypto;
  if (crypto) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte & 63];
  return id;
}

/**
 * The device's anonymous id: the one in `storage` when it holds a valid one, else a new one that
 * is stored for next time. One device then counts as one unique viewer across reconnects and
 * reloads. Storage that refuses writes (private browsing, a full quota) leaves the id valid for
 * this client's lifetime only.
 */
export function loadAnonId(storage: KeyValueStorage, random: () => number): string {
  const stored = readItem(storage);
  if (isAnonId(stored)) return stored;
  const id = generateAnonId(random);
  writeItem(storage, id);
  return id;
}

function readItem(storage: KeyValueStorage): string | null {
  try {
    return storage.getItem(ANON_ID_KEY);
  } catch {
    // Unreadable storage is the same as empty storage: a new id.
    return null;
  }
}

function writeItem(storage: KeyValueStorage, id: string): boolean {
  try {
    storage.setItem(ANON_ID_KEY, id);
    return true;
  } catch {
    // Private browsing or a full quota: the id still holds for this client's lifetime.
    return false;
  }
}
