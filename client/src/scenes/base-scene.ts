/**
 * Shared scene plumbing: a DOM layer, bus subscriptions and a resize-driven layout, all torn
 * down on shutdown. Subclasses implement build() and layout().
 */
import Phaser from 'phaser';
import { type AppContext, ctxOf } from '../core/context.ts';
import type { BusEvents } from '../core/event-bus.ts';
import { SceneDom } from '../ui/dom.ts';
import { THEME } from '../ui/theme.ts';
import { SCENES } from './keys.ts';

export abstract class BaseScene extends Phaser.Scene {
  protected ctx!: AppContext;
  protected dom!: SceneDom;
  private unsubs: (() => void)[] = [];

  create(): void {
    this.ctx = ctxOf(this);
    this.dom = new SceneDom(this.scene.key);
    this.cameras.main.setBackgroundColor(THEME.bg);
    this.build();
    const onResize = () => this.layout(this.scale.width, this.scale.height);
    this.scale.on(Phaser.Scale.Events.RESIZE, onResize);
    this.events.once(Phaser.Scenes.Events.SHUTDOWN, () => {
      this.scale.off(Phaser.Scale.Events.RESIZE, onResize);
      for (const u of this.unsubs) u();
      this.unsubs = [];
      this.dom.destroy();
      this.teardown();
    });
    onResize();
    if (window.__arena) {
      window.__arena.scene = this.scene.key;
      // Time-to-interactive: the first time the home screen's controls are in the page.
      if (this.scene.key === SCENES.home) window.__arena.timings.interactiveAtMs ??= Math.round(performance.now());
    }
    // Focus the first control so keyboard players can start typing or press Enter.
    this.dom.root.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }

  protected listen<K extends keyof BusEvents>(event: K, fn: (p: BusEvents[K]) => void): void {
    this.unsubs.push(this.ctx.bus.on(event, fn));
  }

  protected text(
    x: number,
    y: number,
    content: string,
    size: number,
    color: string = THEME.text,
  ): Phaser.GameObjects.Text {
    return this.add.text(x, y, content, { fontFamily: THEME.font, fontSize: `${size}px`, color, resolution: dpr() });
  }

  protected abstract build(): void;
  protected abstract layout(width: number, height: number): void;
  protected teardown(): void {}
}

/** Canvas text is rasterised at the screen's pixel density, or it is blurry on 2× screens. */
export function dpr(): number {
  return Math.min(3, Math.max(1, window.devicePixelRatio || 1));
}
