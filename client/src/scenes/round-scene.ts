import type Phaser from 'phaser';
import { EMOTION_INFO, EMOTIONS } from '../../../shared/emotions.ts';
import type { RoomState } from '../../../shared/protocol.ts';
import { CameraPreview, frozenLine } from '../ui/camera-preview.ts';
import { h } from '../ui/dom.ts';
import { fontPx, THEME } from '../ui/theme.ts';
import { BaseScene, dpr } from './base-scene.ts';
import { SCENES } from './keys.ts';

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Countdown and round: the big prompt with emoji and timer, own camera preview with the face
 * box, a live meter per player, and this player's 7-emotion chart from frame:result.
 */
export class RoundScene extends BaseScene {
  private header!: Phaser.GameObjects.Text;
  private emoji!: Phaser.GameObjects.Text;
  private prompt!: Phaser.GameObjects.Text;
  private timer!: Phaser.GameObjects.Text;
  private big!: Phaser.GameObjects.Text;
  private gfx!: Phaser.GameObjects.Graphics;
  private meterLabels: Phaser.GameObjects.Text[] = [];
  private chartLabels: Phaser.GameObjects.Text[] = [];
  private preview: CameraPreview | null = null;
  private notice!: HTMLParagraphElement;
  private meterArea: Rect = { x: 0, y: 0, w: 0, h: 0 };
  private chartArea: Rect = { x: 0, y: 0, w: 0, h: 0 };
  private timerBar: Rect = { x: 0, y: 0, w: 0, h: 0 };
  private fs = 16;
  /** Chart label column width: emoji only on narrow screens, emoji + name when there is room. */
  private chartLabelW = 32;
  private announcer!: HTMLParagraphElement;
  private announced = '';
  /** Displayed values ease toward the latest ones so bars do not jump at 5 updates/s. */
  private shownProbs = new Array<number>(EMOTIONS.length).fill(0);
  private shownMeters = new Map<string, number>();
  /** Why our frames do not count right now (frameFeedback), null while they do. */
  private feedback: string | null = null;

  constructor() {
    super(SCENES.round);
  }

  protected build(): void {
    this.header = this.text(0, 0, '', 18, THEME.muted).setOrigin(0.5, 0);
    this.emoji = this.add
      .text(0, 0, '', { fontFamily: THEME.emojiFont, fontSize: '64px', resolution: dpr() })
      .setOrigin(0.5);
    this.prompt = this.text(0, 0, '', 36, THEME.accent).setOrigin(0.5).setFontStyle('bold');
    this.timer = this.text(0, 0, '', 20).setOrigin(1, 0.5);
    this.big = this.text(0, 0, '', 96, THEME.accent).setOrigin(0.5).setFontStyle('bold');
    this.gfx = this.add.graphics();
    this.notice = h('p', { class: 'round-notice', role: 'status', 'aria-live': 'polite' });
    // The prompt is drawn on the canvas; screen readers get it from this live region.
    this.announcer = h('p', { class: 'sr-only', 'aria-live': 'assertive', id: 'round-announcer' });
    this.dom.root.append(this.notice, this.announcer);
    if (this.ctx.store.self?.role === 'player') {
      this.preview = new CameraPreview(this.ctx.capture, this.ctx.bus);
      this.preview.el.classList.add('in-round');
      this.dom.root.append(this.preview.el);
    } else {
      // Top-right, under the timer: over the meters it would cover the first player's name.
      this.dom.root.append(h('p', { class: 'spectating-badge', id: 'spectating-badge' }, 'Spectating'));
    }
    this.listen('frameFeedback', (f) => {
      this.feedback = f.message;
      this.updateNotice();
    });
    this.chartLabels = EMOTIONS.map((e) => this.text(0, 0, `${EMOTION_INFO[e].emoji}`, 14).setOrigin(1, 0.5));
    this.listen('room', () => this.refreshTexts());
    this.refreshTexts();
  }

  private refreshTexts(): void {
    const r = this.ctx.store.room;
    if (!r?.round) return;
    const info = r.round.prompt ? EMOTION_INFO[r.round.prompt] : null;
    this.header.setText(`Round ${r.round.index + 1} of ${r.round.total}`);
    this.emoji.setText(info?.emoji ?? '');
    this.prompt.setText(info ? `Show ${info.displayName.toUpperCase()}!` : 'Get ready…');
    const line = `Round ${r.round.index + 1} of ${r.round.total}. ${info ? `Show ${info.displayName}!` : 'Get ready.'}`;
    if (line !== this.announced) {
      this.announced = line;
      this.announcer.textContent = line;
    }
    const players = r.players.filter((p) => p.role === 'player');
    while (this.meterLabels.length < players.length) this.meterLabels.push(this.text(0, 0, '', 14));
    this.meterLabels.forEach((t, i) => {
      const p = players[i];
      t.setVisible(!!p);
      if (p)
        t.setText(`${p.nickname}${p.id === this.ctx.store.self?.playerId ? ' (you)' : ''}${p.connected ? '' : ' ⚠'}`);
    });
    this.layoutMeterLabels();
    this.updateNotice();
  }

  override update(): void {
    const r = this.ctx.store.room;
    if (!r) return;
    const left = this.ctx.store.timeLeftMs();
    const countdown = r.phase === 'countdown';
    this.big.setVisible(countdown).setText(countdown ? String(Math.max(1, Math.ceil(left / 1000))) : '');
    this.timer.setText(countdown ? '' : `${Math.ceil(left / 1000)} s`);
    this.updateNotice();
    this.draw(left, r.settings.roundSeconds * 1000, countdown);
  }

  /**
   * One line over the camera preview saying why this player is not scoring, most useful first;
   * written only when it changes (it is a live region).
   */
  private updateNotice(): void {
    if (!this.preview) return;
    const r = this.ctx.store.room;
    const s = this.ctx.capture.status;
    let msg = '';
    if (this.ctx.store.me?.waiting) msg = 'You joined mid-game: you play from the next game.';
    else if (r?.phase === 'countdown') msg = 'Get your face in the box…';
    else if (s.videoProblem) msg = frozenLine(s);
    else if (s.camera !== 'on') msg = 'No camera: you cannot score this round.';
    else if (s.facesInView === 0) msg = 'No face in view!';
    else if (this.feedback) msg = this.feedback;
    if (this.notice.textContent !== msg) this.notice.textContent = msg;
    this.notice.dataset.kind = msg && r?.phase === 'round' ? 'problem' : 'info';
  }

  private draw(leftMs: number, totalMs: number, countdown: boolean): void {
    const g = this.gfx;
    g.clear();
    const r = this.ctx.store.room!;
    // Timer bar.
    const tb = this.timerBar;
    g.fillStyle(THEME.track).fillRoundedRect(tb.x, tb.y, tb.w, tb.h, tb.h / 2);
    if (!countdown) {
      const f = Math.max(0, Math.min(1, leftMs / totalMs));
      g.fillStyle(f < 0.25 ? THEME.bad : THEME.accentNum).fillRoundedRect(
        tb.x,
        tb.y,
        Math.max(tb.h, tb.w * f),
        tb.h,
        tb.h / 2,
      );
    }
    // Live meters (not during the countdown: the big number stands where they are, and they are all 0).
    for (const t of this.meterLabels) t.setAlpha(countdown ? 0 : 1);
    if (countdown) {
      this.drawChart(r);
      return;
    }
    const players = r.players.filter((p) => p.role === 'player');
    const ma = this.meterArea;
    const rowH = Math.min(this.fs * 2.6, ma.h / Math.max(1, players.length));
    const labelW = Math.min(ma.w * 0.4, this.fs * 9);
    players.forEach((p, i) => {
      const prev = this.shownMeters.get(p.id) ?? 0;
      const v = prev + (p.meter - prev) * 0.25;
      this.shownMeters.set(p.id, v);
      const y = ma.y + i * rowH + rowH * 0.25;
      const bw = ma.w - labelW;
      g.fillStyle(THEME.track).fillRect(ma.x + labelW, y, bw, rowH * 0.5);
      g.fillStyle(p.id === this.ctx.store.self?.playerId ? THEME.barSelf : THEME.bar).fillRect(
        ma.x + labelW,
        y,
        bw * Math.max(0, Math.min(1, v)),
        rowH * 0.5,
      );
    });
    this.drawChart(r);
  }

  /** This player's 7-emotion chart from the latest frame:result. */
  private drawChart(r: RoomState): void {
    const g = this.gfx;
    const probs = this.ctx.store.frameResult?.probabilities;
    const ca = this.chartArea;
    if (ca.w <= 0 || !this.preview) return;
    const bh = ca.h / EMOTIONS.length;
    const lw = this.chartLabelW;
    EMOTIONS.forEach((e, i) => {
      const target = probs?.[i] ?? 0;
      this.shownProbs[i] = this.shownProbs[i]! + (target - this.shownProbs[i]!) * 0.3;
      const y = ca.y + i * bh + bh * 0.2;
      g.fillStyle(THEME.track).fillRect(ca.x + lw, y, ca.w - lw, bh * 0.6);
      g.fillStyle(e === r.round?.prompt ? THEME.good : THEME.bar).fillRect(
        ca.x + lw,
        y,
        (ca.w - lw) * this.shownProbs[i]!,
        bh * 0.6,
      );
    });
  }

  protected layout(width: number, height: number): void {
    const fs = fontPx(width, height, 0.028, 13);
    this.fs = fs;
    const portrait = width < 720;
    const pad = Math.max(10, Math.round(width * 0.02));
    this.header.setFontSize(fs).setPosition(width / 2, pad);
    const emojiSize = fontPx(width, height, portrait ? 0.14 : 0.12, 40);
    this.emoji.setFontSize(emojiSize).setPosition(width / 2, pad + fs * 1.6 + emojiSize * 0.6);
    this.prompt.setFontSize(Math.round(emojiSize * 0.45)).setPosition(width / 2, this.emoji.y + emojiSize * 0.95);
    this.timerBar = {
      x: pad,
      y: this.prompt.y + emojiSize * 0.45,
      w: width - pad * 2 - fs * 4,
      h: Math.max(8, fs * 0.6),
    };
    this.timer.setFontSize(fs).setPosition(width - pad, this.timerBar.y + this.timerBar.h / 2);
    const top = this.timerBar.y + this.timerBar.h + pad;
    const rest = height - top - pad;
    let cam: Rect;
    if (portrait) {
      const camW = Math.min(width * 0.5, rest * 0.45 * (4 / 3));
      cam = { x: pad, y: top, w: camW, h: camW * 0.75 };
      this.chartArea = { x: cam.x + cam.w + pad, y: top, w: width - cam.w - pad * 3, h: cam.h };
      this.meterArea = { x: pad, y: top + cam.h + pad * 2, w: width - pad * 2, h: height - (top + cam.h + pad * 3) };
    } else {
      const camW = Math.min(width * 0.42, rest * 0.62 * (4 / 3));
      cam = { x: pad, y: top, w: camW, h: camW * 0.75 };
      this.chartArea = { x: pad, y: top + cam.h + pad, w: camW, h: Math.max(0, height - (top + cam.h + pad * 2)) };
      this.meterArea = { x: camW + pad * 3, y: top, w: width - camW - pad * 4, h: rest };
    }
    if (!this.preview) {
      this.meterArea = { x: pad, y: top, w: width - pad * 2, h: rest };
      this.chartArea = { x: 0, y: 0, w: 0, h: 0 };
    }
    if (this.preview) {
      Object.assign(this.preview.el.style, {
        left: `${cam.x}px`,
        top: `${cam.y}px`,
        width: `${cam.w}px`,
        height: `${cam.h}px`,
      });
    }
    // The notice sits on the top edge of the camera preview (or of the meters for spectators).
    Object.assign(this.notice.style, { left: `${(this.preview ? cam.x : pad) + 6}px`, top: `${top + 6}px` });
    this.big
      .setFontSize(Math.round(Math.min(this.meterArea.w, this.meterArea.h, height * 0.4) * 0.6))
      .setPosition(this.meterArea.x + this.meterArea.w / 2, this.meterArea.y + this.meterArea.h / 2);
    const bh = this.chartArea.h / EMOTIONS.length;
    const labelFs = Math.max(12, Math.min(fs, bh * 0.7));
    const withNames = this.chartArea.w >= labelFs * 16;
    this.chartLabelW = labelFs * (withNames ? 7 : 2);
    this.chartLabels.forEach((t, i) => {
      const info = EMOTION_INFO[EMOTIONS[i]!];
      t.setText(withNames ? `${info.displayName} ${info.emoji}` : info.emoji)
        .setFontSize(labelFs)
        .setPosition(this.chartArea.x + this.chartLabelW - labelFs * 0.3, this.chartArea.y + i * bh + bh / 2)
        .setVisible(this.chartArea.w > 0);
    });
    this.layoutMeterLabels();
  }

  private layoutMeterLabels(): void {
    const ma = this.meterArea;
    const n = Math.max(1, this.meterLabels.filter((t) => t.visible).length);
    const rowH = Math.min(this.fs * 2.6, ma.h / n);
    this.meterLabels.forEach((t, i) => {
      t.setFontSize(this.fs).setPosition(ma.x, ma.y + i * rowH + rowH * 0.25);
    });
  }

  protected override teardown(): void {
    this.preview?.destroy();
    this.meterLabels = [];
  }
}
