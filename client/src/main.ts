/**
 * Entry point: wires the event bus, the network client, the capture pipeline and the Phaser
 * scenes, and exposes window.__arena for tests and diagnosis.
 */
import Phaser from 'phaser';
import { isHardwareAccelerated } from './capture/backend-choice.ts';
import { CaptureController } from './capture/capture-controller.ts';
import { probeGpu } from './capture/gpu-probe.ts';
import { readClientConfig } from './config.ts';
import type { AppContext } from './core/context.ts';
import { setContext } from './core/context.ts';
import { startDirector } from './core/director.ts';
import { EventBus } from './core/event-bus.ts';
import { ArenaStore } from './core/store.ts';
import { ArenaClient } from './net/arena-client.ts';
import { loadOrCreateToken, NICKNAME_STORAGE_KEY, safeGet, safeSet } from './net/player-token.ts';
import { roomCodeFromSearch } from './net/validation.ts';
import { BootScene } from './scenes/boot-scene.ts';
import { FinalScene } from './scenes/final-scene.ts';
import { HomeScene } from './scenes/home-scene.ts';
import { LeaderboardScene } from './scenes/leaderboard-scene.ts';
import { LobbyScene } from './scenes/lobby-scene.ts';
import { PreloaderScene } from './scenes/preloader-scene.ts';
import { RoundResultsScene } from './scenes/round-results-scene.ts';
import { RoundScene } from './scenes/round-scene.ts';
import './ui/hooks.ts';
import { mountConnectionBanner, mountDebugOverlay } from './ui/status-overlays.ts';
import { THEME } from './ui/theme.ts';

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
capture.onFrame = (seq, data) => net.sendFrame(seq, data);

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
};

let frameResults = 0;
window.__arena = {
  scene: '',
  capture: null,
  detector: null,
  room: null,
  self: null,
  lastFrameResult: null,
  frameResults: 0,
  connection: 'connecting',
  leaderboard: null,
  final: null,
  lastFrameBase64: () => {
    const f = capture.lastFrame;
    if (!f) return null;
    let s = '';
    for (const b of f) s += String.fromCharCode(b);
    return btoa(s);
  },
};
const hook = window.__arena;
bus.on('capture', (c) => {
  hook.capture = c;
  hook.detector = capture.detectorInfo;
});
bus.on('room', (r) => {
  hook.room = r;
  hook.self = store.self;
});
bus.on('joined', (j) => {
  hook.room = j.state;
  hook.self = j.self;
});
bus.on('frameResult', (r) => {
  hook.lastFrameResult = r;
  hook.frameResults = ++frameResults;
});
bus.on('connection', (s) => {
  hook.connection = s;
});
bus.on('final', (f) => {
  hook.final = f;
});

// On a software GL renderer (no GPU) Phaser's WebGL path costs more CPU than its Canvas path,
// and that CPU is what face detection needs; 30 fps is plenty for bars and text.
const gpu = probeGpu();
const game = new Phaser.Game({
  type: isHardwareAccelerated(gpu) ? Phaser.AUTO : Phaser.CANVAS,
  fps: { target: 30, limit: 30 },
  parent: 'game',
  backgroundColor: THEME.bg,
  scale: { mode: Phaser.Scale.RESIZE, width: window.innerWidth, height: window.innerHeight },
  scene: [
    BootScene,
    PreloaderScene,
    HomeScene,
    LobbyScene,
    RoundScene,
    RoundResultsScene,
    FinalScene,
    LeaderboardScene,
  ],
});
setContext(game, ctx);
startDirector(game, ctx);
mountConnectionBanner(ctx);
mountDebugOverlay(ctx);
