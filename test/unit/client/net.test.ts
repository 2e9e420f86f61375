import { describe, expect, it } from 'vitest';
import {
  cameraProblemMessage,
  classifyCameraError,
  type PageContext,
} from '../../../client/src/capture/camera-errors.ts';
import { sceneForPhase } from '../../../client/src/core/scene-for-phase.ts';
import { loadOrCreateToken, newPlayerToken, TOKEN_STORAGE_KEY } from '../../../client/src/net/player-token.ts';
import {
  isRoomCode,
  joinLink,
  nicknameProblem,
  normaliseRoomCode,
  roomCodeFromSearch,
} from '../../../client/src/net/validation.ts';
import { PLAYER_TOKEN_PATTERN } from '../../../shared/protocol.ts';

class MemoryStore {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe('player token', () => {
  it('is valid for the protocol and persists across loads', () => {
    const store = new MemoryStore();
    const a = loadOrCreateToken(store);
    expect(a).toMatch(PLAYER_TOKEN_PATTERN);
    expect(loadOrCreateToken(store)).toBe(a);
    expect(store.data.get(TOKEN_STORAGE_KEY)).toBe(a);
  });
  it('replaces a malformed stored token', () => {
    const store = new MemoryStore();
    store.setItem(TOKEN_STORAGE_KEY, 'short');
    const t = loadOrCreateToken(store, () => 'x'.repeat(32));
    expect(t).toBe('x'.repeat(32));
  });
  it('works without storage (private mode)', () => {
    const broken = {
      getItem(): string | null {
        throw new Error('denied');
      },
      setItem(): void {
        throw new Error('denied');
      },
    };
    expect(loadOrCreateToken(broken)).toMatch(PLAYER_TOKEN_PATTERN);
  });
  it('maps random bytes onto the 64-symbol alphabet', () => {
    expect(newPlayerToken((b) => b.fill(0))).toBe('A'.repeat(32));
    expect(newPlayerToken((b) => b.fill(63))).toBe('-'.repeat(32));
  });
});

describe('join links and codes', () => {
  it('reads and normalises ?room=', () => {
    expect(roomCodeFromSearch('?room=abc23')).toBe('ABC23');
    expect(roomCodeFromSearch('?room=AB-C 23')).toBe('ABC23');
    expect(roomCodeFromSearch('?room=ABCD0')).toBeNull(); // 0 is not in the alphabet
    expect(roomCodeFromSearch('')).toBeNull();
    expect(normaliseRoomCode(' xy-z23 ')).toBe('XYZ23');
    expect(isRoomCode('XYZ23')).toBe(true);
    expect(joinLink('https://arena.lan:3000', 'XYZ23')).toBe('https://arena.lan:3000/?room=XYZ23');
  });
  it('checks nicknames like the server', () => {
    expect(nicknameProblem(' A ')).toMatch(/at least/);
    expect(nicknameProblem('Zoë_2')).toBeNull();
    expect(nicknameProblem('<script>')).toMatch(/letters/);
    expect(nicknameProblem('x'.repeat(17))).toMatch(/at most/);
  });
});

describe('camera errors', () => {
  const secure: PageContext = {
    isSecureContext: true,
    hasMediaDevices: true,
    protocol: 'https:',
    hostname: 'arena.lan',
    port: '3000',
  };
  const lanHttp: PageContext = {
    isSecureContext: false,
    hasMediaDevices: false,
    protocol: 'http:',
    hostname: '192.168.1.20',
    port: '3000',
  };

  it('explains HTTPS when the page is plain http on a LAN address', () => {
    expect(classifyCameraError(null, lanHttp)).toBe('insecure');
    const msg = cameraProblemMessage('insecure', lanHttp);
    expect(msg).toContain('https://192.168.1.20:3000/');
    expect(msg).toContain('localhost');
  });
  it('classifies the DOMException names browsers use', () => {
    expect(classifyCameraError({ name: 'NotAllowedError' }, secure)).toBe('denied');
    expect(classifyCameraError({ name: 'NotFoundError' }, secure)).toBe('no-camera');
    expect(classifyCameraError({ name: 'NotReadableError' }, secure)).toBe('busy');
    expect(classifyCameraError(new Error('x'), secure)).toBe('unknown');
    expect(cameraProblemMessage('denied', secure)).toMatch(/spectator/);
  });
});

describe('scene for phase', () => {
  it('shows countdown and round in the round scene', () => {
    expect(sceneForPhase('lobby')).toBe('Lobby');
    expect(sceneForPhase('countdown')).toBe('Round');
    expect(sceneForPhase('round')).toBe('Round');
    expect(sceneForPhase('roundResults')).toBe('RoundResults');
    expect(sceneForPhase('finalResults')).toBe('Final');
  });
});
