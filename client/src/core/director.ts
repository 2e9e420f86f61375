/**
 * Moves between scenes when the server's phase changes (not on every 10 Hz state), and turns
 * frame sending on and off with the round.
 */
import type Phaser from 'phaser';
import type { Phase } from '../../../shared/protocol.ts';
import { SCENES, type SceneKey } from '../scenes/keys.ts';
import type { AppContext } from './context.ts';
import { sceneForPhase } from './scene-for-phase.ts';

export function startDirector(game: Phaser.Game, ctx: AppContext): void {
  let lastPhase: Phase | null = null;
  const show = (key: SceneKey) => {
    const active = game.scene.getScenes(true).map((s) => s.scene.key);
    if (active.length === 1 && active[0] === key) {
      // Same scene for a new phase (countdown → round): it re-reads the store itself.
      return;
    }
    for (const k of active) if (k !== key) game.scene.stop(k);
    game.scene.start(key);
  };
  ctx.bus.on('joined', (j) => {
    lastPhase = j.state.phase;
    show(sceneForPhase(j.state.phase));
    ctx.capture.setSending(ctx.store.shouldSend);
  });
  ctx.bus.on('room', (r) => {
    // A room:state can arrive before the join's ack: wait for 'joined' to know who we are.
    if (!ctx.store.self) return;
    ctx.capture.setSending(ctx.store.shouldSend);
    if (r.phase === lastPhase) return;
    lastPhase = r.phase;
    show(sceneForPhase(r.phase));
  });
  const home = () => {
    lastPhase = null;
    ctx.capture.setSending(false);
    // Out of a room the camera has no use: turn it off (the browser's camera light goes out too).
    ctx.capture.stopCamera();
    show(SCENES.home);
  };
  // A room that is gone after a reconnect (arena-client.ts rejoin): the home scene says why.
  ctx.bus.on('serverError', (e) => {
    if (e.code === 'ROOM_NOT_FOUND' && ctx.store.self) ctx.notice = e.message;
  });
  ctx.bus.on('left', (why) => {
    if (why) ctx.notice = why.reason;
    home();
  });
  ctx.bus.on('kicked', (reason) => {
    ctx.notice = `You were removed from the room: ${reason}`;
    home();
  });
}

/**
 * A player needs the camera (and the face detector) whatever scene the room is in: a reload
 * lands mid-round, before the scenes have even loaded. A camera the player turned off or that
 * failed stays off until they retry in the lobby. Started before the Phaser chunk loads.
 */
export function keepCameraForPlayers(ctx: Pick<AppContext, 'bus' | 'store' | 'capture'>): void {
  const ensure = () => {
    const cap = ctx.capture;
    if (ctx.store.self?.role !== 'player') return;
    void cap.initDetector().catch(() => {});
    if (!cap.hasCamera && cap.status.camera === 'off') void cap.startCamera();
  };
  ctx.bus.on('joined', ensure);
  ctx.bus.on('room', ensure);
}
