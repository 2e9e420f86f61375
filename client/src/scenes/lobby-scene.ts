import { EMOTION_INFO, EMOTIONS, type Emotion } from '../../../shared/emotions.ts';
import { GAME_LIMITS, type GameSettings, type PlayerView, type RoomState } from '../../../shared/protocol.ts';
import { listCameras } from '../capture/camera.ts';
import { switchRole } from '../core/role-switch.ts';
import { ProtocolFailure } from '../net/arena-client.ts';
import { joinLink } from '../net/validation.ts';
import { CameraPreview } from '../ui/camera-preview.ts';
import { h, say, setBusy } from '../ui/dom.ts';
import { fontPx, THEME } from '../ui/theme.ts';
import { BaseScene } from './base-scene.ts';
import { SCENES } from './keys.ts';

/** Players, host settings, start, and the camera check before the first round. */
export class LobbyScene extends BaseScene {
  private title!: Phaser.GameObjects.Text;
  private preview: CameraPreview | null = null;
  private playersEl!: HTMLUListElement;
  private settingsEl!: HTMLFieldSetElement;
  private startBtn!: HTMLButtonElement;
  private msg!: HTMLParagraphElement;
  private cameraActions!: HTMLDivElement;
  private deviceSelect!: HTMLSelectElement;
  private cameraPanel!: HTMLElement;

  constructor() {
    super(SCENES.lobby);
  }

  protected build(): void {
    const room = this.ctx.store.room!;
    this.title = this.text(0, 0, `Room ${room.code}`, 28, THEME.accent).setOrigin(0.5, 0);
    const link = joinLink(location.origin, room.code);
    const copyBtn = h('button', { type: 'button', class: 'secondary small', id: 'copy-link' }, 'Copy invite link');
    copyBtn.addEventListener('click', () => {
      void navigator.clipboard?.writeText(link).then(
        () => say(this.msg, 'Invite link copied.'),
        () => say(this.msg, `Share this link: ${link}`),
      );
    });
    this.msg = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    this.playersEl = h('ul', { class: 'players', id: 'players', 'aria-label': 'Players in this room' });
    this.settingsEl = h('fieldset', { class: 'settings', id: 'settings' });
    this.startBtn = h('button', { type: 'button', class: 'primary', id: 'start-game' }, 'Start game');
    this.startBtn.addEventListener('click', async () => {
      setBusy(this.startBtn, true);
      try {
        await this.ctx.net.startGame();
      } catch (err) {
        say(this.msg, err instanceof ProtocolFailure ? err.message : String(err), 'error');
      } finally {
        setBusy(this.startBtn, false);
      }
    });
    const leaveBtn = h('button', { type: 'button', class: 'link', id: 'leave-room' }, 'Leave room');
    leaveBtn.addEventListener('click', () => void this.ctx.net.leave().catch(() => {}));

    this.deviceSelect = h('select', { id: 'camera-device', 'aria-label': 'Camera' });
    this.deviceSelect.addEventListener('change', () => void this.ctx.capture.startCamera(this.deviceSelect.value));
    this.cameraActions = h('div', { class: 'row camera-actions' });

    // First on a phone (see style.css): the camera check is what a player should see before Start.
    this.cameraPanel = h('section', { class: 'panel camera-check', 'aria-label': 'Camera check' });
    const cameraPanel = this.cameraPanel;
    this.renderCameraPanel();

    this.dom.root.append(
      h(
        'div',
        { class: 'lobby-grid' },
        h(
          'section',
          { class: 'panel', 'aria-label': 'Room' },
          h('p', { class: 'invite' }, 'Invite: ', h('a', { href: link, id: 'invite-link' }, link), ' ', copyBtn),
          h('h2', {}, 'Players'),
          this.playersEl,
          this.settingsEl,
          this.startBtn,
          this.msg,
          leaveBtn,
        ),
        cameraPanel,
      ),
    );

    this.listen('room', (r) => {
      this.renderRoom(r);
      this.renderCameraPanel();
    });
    this.listen('joined', (j) => {
      this.renderRoom(j.state);
      this.renderCameraPanel();
    });
    this.listen('capture', () => this.renderCameraActions());
    this.renderRoom(room);
    this.renderCameraActions();
    void this.ensureCamera();
  }

  /**
   * A player gets the camera check (preview, status, camera picker); a spectator only a line
   * saying they watch and a way to play: "Camera is off" is for someone who wants to play.
   * Rebuilt when our role changes.
   */
  private renderCameraPanel(): void {
    const role = this.ctx.store.self?.role ?? 'player';
    if (this.cameraPanel.dataset.role === role) return;
    this.cameraPanel.dataset.role = role;
    this.preview?.destroy();
    this.preview = null;
    this.cameraActions.dataset.sig = '';
    if (role === 'player') {
      this.preview = new CameraPreview(this.ctx.capture, this.ctx.bus);
      this.cameraPanel.replaceChildren(
        h('h2', {}, 'Camera check'),
        this.preview.el,
        this.preview.statusEl,
        this.deviceSelect,
        this.cameraActions,
      );
    } else {
      this.cameraPanel.replaceChildren(
        h('h2', {}, 'Watching'),
        h('p', { id: 'spectator-note' }, 'You are watching as a spectator: no camera needed.'),
        this.cameraActions,
      );
    }
    this.renderCameraActions();
  }

  private async ensureCamera(): Promise<void> {
    const cap = this.ctx.capture;
    if (this.ctx.store.self?.role === 'spectator') return;
    if (!cap.hasCamera && cap.status.camera !== 'starting') await cap.startCamera();
    await this.fillDevices();
  }

  private async fillDevices(): Promise<void> {
    const cams = await listCameras();
    const current = this.ctx.capture.currentDeviceId;
    this.deviceSelect.replaceChildren(
      ...cams.map((c, i) =>
        h('option', { value: c.deviceId, selected: c.deviceId === current }, c.label || `Camera ${i + 1}`),
      ),
    );
    this.deviceSelect.hidden = cams.length < 2;
  }

  private renderCameraActions(): void {
    const s = this.ctx.capture.status;
    const spectator = this.ctx.store.self?.role === 'spectator';
    const buttons: HTMLButtonElement[] = [];
    if (spectator) {
      // Between games only: a spectator who asks to play mid-game waits for the next one anyway.
      const play = h('button', { type: 'button', class: 'primary', id: 'play-with-camera' }, 'Play (camera check)');
      play.addEventListener('click', () => void this.switchRole('player'));
      buttons.push(play);
    } else if (s.camera === 'error' || s.camera === 'off') {
      const retry = h('button', { type: 'button', class: 'secondary', id: 'retry-camera' }, 'Retry camera');
      retry.addEventListener('click', () => void this.ensureCamera());
      const watch = h('button', { type: 'button', class: 'secondary', id: 'watch-spectator' }, 'Watch as spectator');
      watch.addEventListener('click', () => void this.switchRole('spectator'));
      buttons.push(retry, watch);
    }
    // Replace only when the set of buttons changes, so keyboard focus is not lost on every status tick.
    const sig = buttons.map((b) => b.id).join(',');
    if (this.cameraActions.dataset.sig === sig) return;
    this.cameraActions.dataset.sig = sig;
    this.cameraActions.replaceChildren(...buttons);
  }

  /** Re-joins the same room in the other role (the server keys us by token). */
  private async switchRole(role: 'player' | 'spectator'): Promise<void> {
    const problem = await switchRole(this.ctx, role);
    if (problem) say(this.msg, problem, 'error');
  }

  private renderRoom(r: RoomState): void {
    const selfId = this.ctx.store.self?.playerId;
    const isHost = r.hostId === selfId;
    this.playersEl.replaceChildren(...r.players.map((p) => this.playerItem(p, selfId, isHost)));
    this.renderSettings(r.settings, isHost);
    this.startBtn.hidden = !isHost;
    this.startBtn.disabled = !r.players.some((p) => p.role === 'player' && p.connected);
  }

  private playerItem(p: PlayerView, selfId: string | undefined, isHost: boolean): HTMLLIElement {
    const tags = [
      p.isHost ? 'host' : '',
      p.id === selfId ? 'you' : '',
      p.role === 'spectator' ? 'spectator' : '',
      p.connected ? '' : 'reconnecting…',
    ].filter(Boolean);
    const li = h(
      'li',
      { 'data-player-id': p.id },
      h('span', { class: 'nick' }, p.nickname),
      tags.length ? h('span', { class: 'tags' }, ` (${tags.join(', ')})`) : null,
    );
    if (isHost && p.id !== selfId) {
      const kick = h('button', { type: 'button', class: 'link small', 'aria-label': `Remove ${p.nickname}` }, 'Remove');
      kick.addEventListener(
        'click',
        () => void this.ctx.net.kick(p.id).catch((e: unknown) => say(this.msg, String(e), 'error')),
      );
      li.append(kick);
    }
    return li;
  }

  private renderSettings(s: GameSettings, isHost: boolean): void {
    const sig = JSON.stringify([s, isHost]);
    if (this.settingsEl.dataset.sig === sig) return;
    this.settingsEl.dataset.sig = sig;
    const { rounds, roundSeconds } = GAME_LIMITS;
    if (!isHost) {
      this.settingsEl.replaceChildren(
        h('legend', {}, 'Game settings'),
        h(
          'p',
          {},
          `${s.rounds} rounds × ${s.roundSeconds} s · ${s.emotions.map((e) => EMOTION_INFO[e].emoji).join(' ')}`,
        ),
        h('p', { class: 'muted' }, 'Waiting for the host to start.'),
      );
      return;
    }
    const roundsIn = h('input', {
      id: 'set-rounds',
      type: 'number',
      min: rounds.min,
      max: rounds.max,
      value: s.rounds,
    });
    const secondsIn = h('input', {
      id: 'set-seconds',
      type: 'number',
      min: roundSeconds.min,
      max: roundSeconds.max,
      value: s.roundSeconds,
    });
    const boxes = EMOTIONS.map((e) =>
      h(
        'label',
        { class: 'chip' },
        h('input', { type: 'checkbox', value: e, checked: s.emotions.includes(e) }),
        ` ${EMOTION_INFO[e].emoji} ${EMOTION_INFO[e].displayName}`,
      ),
    );
    const send = async () => {
      const emotions = boxes
        .map((b) => b.querySelector('input')!)
        .filter((i) => i.checked)
        .map((i) => i.value as Emotion);
      try {
        await this.ctx.net.updateSettings({
          rounds: Number(roundsIn.value),
          roundSeconds: Number(secondsIn.value),
          emotions,
        });
      } catch (err) {
        say(this.msg, err instanceof ProtocolFailure ? err.message : String(err), 'error');
        this.settingsEl.dataset.sig = '';
      }
    };
    for (const el of [roundsIn, secondsIn, ...boxes]) el.addEventListener('change', () => void send());
    this.settingsEl.replaceChildren(
      h('legend', {}, 'Game settings'),
      h('div', { class: 'row' }, h('label', { for: 'set-rounds' }, 'Rounds'), roundsIn),
      h('div', { class: 'row' }, h('label', { for: 'set-seconds' }, 'Seconds per round'), secondsIn),
      h('div', { class: 'chips', role: 'group', 'aria-label': 'Emotions to prompt' }, ...boxes),
    );
  }

  protected layout(width: number, height: number): void {
    const size = fontPx(width, height, 0.05, 22);
    this.title.setFontSize(size).setPosition(width / 2, 12);
    this.dom.root.style.setProperty('--top', `${Math.round(12 + size * 1.6)}px`);
  }

  protected override teardown(): void {
    this.preview?.destroy();
  }
}
