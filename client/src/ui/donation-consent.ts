/**
 * The frame-donation opt-in on the home screen (docs/privacy.md): a checkbox, off by default
 * and remembered per device, with the exact consent text; a button that deletes everything
 * donated under this browser's player token, with the server's count shown; and the donor id
 * to quote to an operator. Consent is told to the server after every (re)connect, because
 * the server keeps it per connection only.
 */
import type { Socket } from 'socket.io-client';
import { DONATION_CONSENT_TEXT, type DonationConsentResult, PRIVACY_PATH } from '../../../shared/donations.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../shared/events.ts';
import type { Ack } from '../../../shared/protocol.ts';
import { type KeyValueStore, loadOrCreateToken, safeGet, safeSet } from '../net/player-token.ts';
import { h, say, setBusy } from './dom.ts';

export const DONATE_STORAGE_KEY = 'emotion-arena:donate-crops';
const ACK_TIMEOUT_MS = 8000;

type ArenaSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type DonationView = { kind: 'off' } | { kind: 'on'; donorId: string } | { kind: 'error'; message: string };

/** Keeps the server told about this device's choice; one per socket, whatever scene is showing. */
export class DonationConsentController {
  private listeners = new Set<(v: DonationView) => void>();
  private view: DonationView = { kind: 'off' };

  constructor(
    private readonly socket: ArenaSocket,
    private readonly token: string,
    private readonly storage: KeyValueStore | null,
  ) {
    socket.on('connect', () => {
      if (this.optedIn) void this.tellServer(true);
    });
    if (socket.connected && this.optedIn) void this.tellServer(true);
  }

  /** Off unless this device said yes before. */
  get optedIn(): boolean {
    return safeGet(this.storage, DONATE_STORAGE_KEY) === 'yes';
  }

  get current(): DonationView {
    return this.view;
  }

  onChange(fn: (v: DonationView) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async setOptIn(on: boolean): Promise<void> {
    safeSet(this.storage, DONATE_STORAGE_KEY, on ? 'yes' : 'no');
    await this.tellServer(on);
  }

  /** Deletes every crop donated under this token; resolves with the server's count. */
  async deleteAll(): Promise<number> {
    const res = await this.ask<{ deleted: number }>('donation:delete', { playerToken: this.token });
    if (!res.ok) throw new Error(res.error.message);
    return res.data.deleted;
  }

  private async tellServer(on: boolean): Promise<void> {
    try {
      const res = await this.ask<DonationConsentResult>('donation:consent', { playerToken: this.token, consent: on });
      if (!res.ok) this.set({ kind: 'error', message: res.error.message });
      else if (res.data.donorId) this.set({ kind: 'on', donorId: res.data.donorId });
      else this.set({ kind: 'off' });
    } catch {
      this.set({ kind: 'error', message: 'The server did not answer; your choice is kept and sent when it does.' });
    }
  }

  private set(v: DonationView): void {
    this.view = v;
    for (const fn of this.listeners) fn(v);
  }

  private ask<T>(event: 'donation:consent' | 'donation:delete', payload: object): Promise<Ack<T>> {
    // The typed emitWithAck wants the exact payload type per event; both events carry the token.
    const s = this.socket as unknown as {
      timeout(ms: number): { emitWithAck(e: string, p: object): Promise<Ack<T>> };
    };
    return s.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
  }
}

const controllers = new WeakMap<ArenaSocket, DonationConsentController>();

export function donationController(
  socket: ArenaSocket,
  token: string,
  storage: KeyValueStore | null,
): DonationConsentController {
  let c = controllers.get(socket);
  if (!c) {
    c = new DonationConsentController(socket, token, storage);
    controllers.set(socket, c);
  }
  return c;
}

function describe(v: DonationView): string {
  if (v.kind === 'on')
    return `Donating as donor ${v.donorId} (quote this id to the operator to delete without this device).`;
  if (v.kind === 'error') return v.message;
  return '';
}

/** The opt-in block for a screen shown before a game. */
export function donationConsentPanel(controller: DonationConsentController): HTMLElement {
  const box = h('input', { type: 'checkbox', id: 'donate-consent', name: 'donate-consent' });
  box.checked = controller.optedIn;
  const status = h('p', { class: 'msg donate-status', id: 'donate-status', role: 'status', 'aria-live': 'polite' });
  const del = h('button', { type: 'button', id: 'donate-delete', class: 'link' }, 'Delete my donated crops');
  const show = (v: DonationView) => say(status, describe(v), v.kind === 'error' ? 'error' : 'info');
  show(controller.current);
  // A scene switch removes the panel: the next change unsubscribes it.
  const off = controller.onChange((v) => (panel.isConnected ? show(v) : off()));
  box.addEventListener('change', () => void controller.setOptIn(box.checked));
  del.addEventListener('click', async () => {
    setBusy(del, true);
    try {
      const n = await controller.deleteAll();
      say(status, n === 0 ? 'You had no donated crops stored.' : `Deleted ${n} donated crop${n === 1 ? '' : 's'}.`);
    } catch (err) {
      say(status, `Could not delete: ${(err as Error).message}`, 'error');
    } finally {
      setBusy(del, false);
    }
  });
  const panel = h(
    'div',
    { class: 'donate', id: 'donate-panel' },
    h('label', { class: 'donate-consent', for: 'donate-consent' }, box, ` ${DONATION_CONSENT_TEXT}`),
    h(
      'div',
      { class: 'row' },
      del,
      h('a', { href: PRIVACY_PATH, target: '_blank', rel: 'noopener' }, 'How donations work'),
    ),
    status,
  );
  return panel;
}

function deviceStorage(): KeyValueStore | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The panel for the page's socket, with this browser's player token (net/player-token.ts keeps it). */
export function donationPanelFor(socket: ArenaSocket): HTMLElement {
  const storage = deviceStorage();
  return donationConsentPanel(donationController(socket, loadOrCreateToken(storage), storage));
}
