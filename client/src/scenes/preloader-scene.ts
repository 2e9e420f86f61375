import Phaser from 'phaser';
import { ctxOf } from '../core/context.ts';
import { sceneForPhase } from '../core/scene-for-phase.ts';
import { THEME } from '../ui/theme.ts';
import { SCENES } from './keys.ts';

/**
 * Starts loading the face detector (face-api and tfjs are a separate chunk, loaded and measured
 * in the background) and moves on at once: the menus never wait for it. A page reloaded inside a
 * room waits here for its rejoin, then goes straight to the room's scene.
 */
export class PreloaderScene extends Phaser.Scene {
  constructor() {
    super(SCENES.preloader);
  }

  create(): void {
    const ctx = ctxOf(this);
    const { width, height } = this.scale;
    this.cameras.main.setBackgroundColor(THEME.bg);
    this.add
      .text(width / 2, height / 2, ctx.rejoining ? 'Rejoining your room…' : 'Loading…', {
        fontFamily: THEME.font,
        fontSize: '20px',
        color: THEME.text,
        resolution: window.devicePixelRatio || 1,
      })
      .setOrigin(0.5);
    ctx.capture.initDetector().catch((err: unknown) => {
      console.error('[arena] face detector failed to load', err);
    });
    const go = () => {
      const room = ctx.store.room;
      this.scene.start(ctx.store.self && room ? sceneForPhase(room.phase) : SCENES.home);
    };
    // Through the scene clock: it only ticks while this scene runs, so if the director has
    // already shown the room's scene (the rejoin's state arrived first) nothing happens.
    const later = () => this.time.delayedCall(0, go);
    if (ctx.rejoining) void ctx.rejoining.finally(later);
    else later();
  }
}
