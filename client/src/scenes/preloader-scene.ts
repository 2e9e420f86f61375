import Phaser from 'phaser';
import { ctxOf } from '../core/context.ts';
import { THEME } from '../ui/theme.ts';
import { SCENES } from './keys.ts';

/** Longest we hold the player on the loading bar; detection keeps loading in the background. */
const MAX_WAIT_MS = 8000;

/**
 * Loads the face detector and measures the tfjs backends before the menu, so the measurement
 * does not compete with the game for the CPU later. Spectators do not need it, but it is short.
 */
export class PreloaderScene extends Phaser.Scene {
  constructor() {
    super(SCENES.preloader);
  }

  create(): void {
    const ctx = ctxOf(this);
    const { width, height } = this.scale;
    this.cameras.main.setBackgroundColor(THEME.bg);
    const label = this.add
      .text(width / 2, height / 2 - 40, 'Loading face detector…', {
        fontFamily: THEME.font,
        fontSize: '20px',
        color: THEME.text,
      })
      .setOrigin(0.5);
    const track = this.add.rectangle(width / 2, height / 2, Math.min(320, width - 40), 12, THEME.track);
    const bar = this.add.rectangle(track.x - track.width / 2, height / 2, 0, 12, THEME.accentNum).setOrigin(0, 0.5);
    const started = performance.now();
    const tick = this.time.addEvent({
      delay: 50,
      loop: true,
      callback: () => {
        // Time-based: tfjs gives no progress events for the wasm compile and measurement.
        const f = Math.min(0.95, (performance.now() - started) / 4000);
        bar.width = track.width * f;
      },
    });
    const go = () => {
      tick.remove();
      this.scene.start(SCENES.home);
    };
    const timeout = this.time.delayedCall(MAX_WAIT_MS, go);
    ctx.capture
      .initDetector()
      .then((info) => {
        label.setText(`Face detector ready (${info.backend})`);
        bar.width = track.width;
      })
      .catch((err: unknown) => {
        console.error('[arena] face detector failed to load', err);
        label.setText('Face detector failed to load: you can still watch as a spectator');
      })
      .finally(() => {
        timeout.remove();
        this.time.delayedCall(200, go);
      });
  }
}
