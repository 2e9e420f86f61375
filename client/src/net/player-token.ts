/**
 * The persistent player token: a secret that identifies this browser to the server across
 * reloads and reconnects (the server shows others only a public id derived from it).
 */
import { PLAYER_TOKEN_PATTERN } from '../../../shared/protocol.ts';

export const TOKEN_STORAGE_KEY = 'emotion-arena:player-token';
export const NICKNAME_STORAGE_KEY = 'emotion-arena:nickname';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** 32 characters from 64 symbols: 192 bits. `random` is injectable for tests. */
export function newPlayerToken(
  random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const bytes = random(new Uint8Array(32));
  let token = '';
  for (const b of bytes) token += ALPHABET[b & 63];
  return token;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Returns the stored token, creating (and storing) one when missing or malformed. */
export function loadOrCreateToken(store: KeyValueStore | null, create: () => string = newPlayerToken): string {
  const existing = safeGet(store, TOKEN_STORAGE_KEY);
  if (existing !== null && PLAYER_TOKEN_PATTERN.test(existing)) return existing;
  const token = create();
  safeSet(store, TOKEN_STORAGE_KEY, token);
  return token;
}

/** localStorage throws in some private modes; the game still works, just without memory. */
export function safeGet(store: KeyValueStore | null, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function safeSet(store: KeyValueStore | null, key: string, value: string): void {
  try {
    store?.setItem(key, value);
  } catch {
    // Storage full or disabled: nothing useful to do.
  }
}
