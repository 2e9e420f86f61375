import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../client/src/net/player-token.ts';
import { DONATE_STORAGE_KEY, DonationConsentController } from '../../../client/src/ui/donation-consent.ts';

/** A socket stand-in: records what the client asks, answers like the server, and can "reconnect". */
class FakeSocket {
  connected = true;
  sent: { event: string; payload: Record<string, unknown> }[] = [];
  answer: (event: string, payload: Record<string, unknown>) => unknown = (event, payload) =>
    event === 'donation:consent'
      ? {
          ok: true,
          data: payload.consent ? { donating: true, donorId: 'D0N0R1d000000000' } : { donating: false, donorId: null },
        }
      : { ok: true, data: { deleted: 6 } };
  private connectListeners: (() => void)[] = [];
  on(event: string, fn: () => void): void {
    if (event === 'connect') this.connectListeners.push(fn);
  }
  timeout(_ms: number) {
    return {
      emitWithAck: async (event: string, payload: Record<string, unknown>) => {
        this.sent.push({ event, payload });
        return this.answer(event, payload);
      },
    };
  }
  reconnect(): void {
    for (const fn of this.connectListeners) fn();
  }
}

function memoryStorage(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const TOKEN = 'device_token_0123456789';
const flush = () => new Promise((r) => setTimeout(r, 0));

function controller(socket: FakeSocket, storage: KeyValueStore | null): DonationConsentController {
  return new DonationConsentController(socket as never, TOKEN, storage);
}

describe('the donation opt-in on this device', () => {
  it('is off by default and tells the server nothing until the player opts in', async () => {
    const socket = new FakeSocket();
    const c = controller(socket, memoryStorage());
    await flush();
    expect(c.optedIn).toBe(false);
    expect(socket.sent).toEqual([]);
    socket.reconnect();
    await flush();
    expect(socket.sent).toEqual([]);
  });

  it('remembers the choice and tells the server again after every reconnect', async () => {
    const socket = new FakeSocket();
    const storage = memoryStorage();
    const c = controller(socket, storage);
    await c.setOptIn(true);
    expect(storage.data.get(DONATE_STORAGE_KEY)).toBe('yes');
    expect(c.current).toEqual({ kind: 'on', donorId: 'D0N0R1d000000000' });
    socket.reconnect();
    await flush();
    expect(socket.sent.map((s) => [s.event, s.payload.consent])).toEqual([
      ['donation:consent', true],
      ['donation:consent', true],
    ]);
    // A new page on the same device starts opted in and says so to the server.
    const again = new FakeSocket();
    const c2 = controller(again, storage);
    await flush();
    expect(c2.optedIn).toBe(true);
    expect(again.sent).toEqual([{ event: 'donation:consent', payload: { playerToken: TOKEN, consent: true } }]);
  });

  it('opting out is remembered and stops the server collecting', async () => {
    const socket = new FakeSocket();
    const storage = memoryStorage();
    const c = controller(socket, storage);
    await c.setOptIn(true);
    await c.setOptIn(false);
    expect(storage.data.get(DONATE_STORAGE_KEY)).toBe('no');
    expect(c.current).toEqual({ kind: 'off' });
    expect(socket.sent.at(-1)).toEqual({ event: 'donation:consent', payload: { playerToken: TOKEN, consent: false } });
  });

  it('shows the server’s refusal, and reports the deleted count or the reason deletion failed', async () => {
    const socket = new FakeSocket();
    const c = controller(socket, null);
    socket.answer = () => ({
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'this server does not collect donations' },
    });
    await c.setOptIn(true);
    expect(c.current).toEqual({ kind: 'error', message: 'this server does not collect donations' });
    await expect(c.deleteAll()).rejects.toThrow('this server does not collect donations');
    socket.answer = () => ({ ok: true, data: { deleted: 6 } });
    await expect(c.deleteAll()).resolves.toBe(6);
    expect(socket.sent.at(-1)).toEqual({ event: 'donation:delete', payload: { playerToken: TOKEN } });
  });
});
