/**
 * Keeps the address bar and the remembered seat in step with the room we are in, and on page
 * load rejoins the room of a `?room=CODE` address when this browser had a seat there (a reload
 * or a reopened tab): same token, so the server gives back the same seat, score and role.
 */

import { ProtocolFailure } from '../net/arena-client.ts';
import type { KeyValueStore } from '../net/player-token.ts';
import {
  forgetSeat,
  joinFailureMessage,
  rememberedSeat,
  rememberSeat,
  seatToRejoin,
  urlWithRoom,
} from '../net/seat-memory.ts';
import { flashBanner, hideBanner } from '../ui/status-overlays.ts';
import type { AppContext } from './context.ts';

export function startSeatKeeper(ctx: AppContext, storage: KeyValueStore | null): void {
  const { bus, store } = ctx;
  let remembered = '';
  const remember = () => {
    const code = store.room?.code;
    const role = store.self?.role;
    if (!code || !role) return;
    const sig = `${code}/${role}`;
    if (sig === remembered) return;
    remembered = sig;
    rememberSeat(storage, { code, role });
    history.replaceState(history.state, '', urlWithRoom(location.href, code));
  };
  bus.on('joined', remember);
  // The server can change our role (a late joiner becomes a player for the next game).
  bus.on('room', remember);
  const forget = () => {
    remembered = '';
    forgetSeat(storage);
    history.replaceState(history.state, '', urlWithRoom(location.href, null));
  };
  bus.on('left', forget);
  bus.on('kicked', forget);
}

/**
 * Rejoins the remembered seat when the page opened on its room's address; resolves when that
 * is settled either way (null when there is nothing to rejoin). On failure the player lands on
 * Home with the code filled in and a message saying why.
 */
export function rejoinOnLoad(ctx: AppContext, storage: KeyValueStore | null): Promise<void> | null {
  const seat = seatToRejoin(ctx.linkRoomCode, rememberedSeat(storage));
  const nickname = ctx.nickname();
  if (!seat || !nickname) return null;
  return ctx.net.joinRoom(seat.code, nickname, seat.role).then(
    (res) => {
      ctx.linkRoomCode = null;
      const me = res.state.players.find((p) => p.id === res.self.playerId);
      flashBanner(
        'rejoin-banner',
        `Welcome back to room ${seat.code}: same seat${me ? `, ${me.score} points` : ''}.`,
        // Long enough to be read while the scenes and the camera come back.
        10_000,
      );
    },
    (err: unknown) => {
      hideBanner('rejoin-banner');
      forgetSeat(storage);
      const code = err instanceof ProtocolFailure ? err.error.code : 'UNAVAILABLE';
      const message = err instanceof ProtocolFailure ? err.message : String(err);
      // Home shows it once, with the code still in the join box.
      ctx.notice = joinFailureMessage(code, message, seat.code, 'rejoin');
      ctx.linkRoomCode = seat.code;
    },
  );
}
