/**
 * Entry point: wires the event bus, the network client, the capture pipeline and the test
 * hook, rejoins a remembered seat, then loads the Phaser scenes (game.ts, a separate chunk).
 * Everything here is small on purpose: a reload mid-round sends its rejoin before the browser
 * has even parsed Phaser, and face-api/tfjs load later still (capture-controller.ts).
 */
import { CaptureController } from './capture/capture-controller.ts';
import { readClientConfig } from './config.ts';
import type { AppContext } from './core/context.ts';
import { keepCameraForPlayers } from './core/director.ts';
import { EventBus } from './core/event-bus.ts';
import { startFrameFeedback } from './core/frame-feedback-loop.ts';
import { rejoinOnLoad, startSeatKeeper } from './core/seat-keeper.ts';
import { ArenaStore } from './core/store.ts';
import { ArenaClient } from './net/arena-client.ts';
import { loadOrCreateToken, NICKNAME_STORAGE_KEY, safeGet, safeSet } from './net/player-token.ts';
import { roomCodeFromSearch } from './net/validation.ts';
import { flashBanner, mountConnectionBanner, mountDebugOverlay } from './ui/status-overlays.ts';
import { mountTestHook } from './ui/test-hook.ts';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const config = readClientConfig(location.search);
const bus = new EventBus();
const store = new ArenaStore(bus);
const token = loadOrCreateToken(storage());
const net = new ArenaClient(bus, token);
const capture = new CaptureController(bus, {
  sendFps: config.sendFps,
  detectorInputSize: config.detectorInputSize,
  forcedBackend: config.forcedBackend,
});

const ctx: AppContext = {
  bus,
  net,
  store,
  capture,
  config,
  nickname: () => safeGet(storage(), NICKNAME_STORAGE_KEY) ?? '',
  setNickname: (name) => safeSet(storage(), NICKNAME_STORAGE_KEY, name),
  wantedRole: 'player',
  notice: null,
  linkRoomCode: roomCodeFromSearch(location.search),
  rejoining: null,
};

const hook = mountTestHook(ctx);
hook.timings.scriptAtMs = Math.round(performance.now());
startFrameFeedback(ctx);
keepCameraForPlayers(ctx);
startSeatKeeper(ctx, storage());
// A reload in a room: back to the seat first (the socket queues the join until it connects).
ctx.rejoining = rejoinOnLoad(ctx, storage());
void ctx.rejoining?.then(() => {
  hook.timings.rejoinedAtMs = Math.round(performance.now());
});
mountConnectionBanner(ctx);
mountDebugOverlay(ctx);

// The scenes (Phaser) load after a pending rejoin: parsing them would hold up the socket's
// handshake on a busy machine, and the seat matters more than the first paint.
if (ctx.rejoining) flashBanner('rejoin-banner', `Rejoining room ${ctx.linkRoomCode}…`, 10_000);
void (ctx.rejoining ?? Promise.resolve()).finally(() => import('./game.ts').then(({ startGame }) => startGame(ctx)));
