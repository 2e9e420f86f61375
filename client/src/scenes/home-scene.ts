import { PRIVACY_PATH } from '../../../shared/donations.ts';
import { EMOTION_INFO, EMOTIONS } from '../../../shared/emotions.ts';
import { NICKNAME_MAX_LENGTH, ROOM_CODE_LENGTH } from '../../../shared/protocol.ts';
import { pageContext } from '../capture/camera.ts';
import { cameraProblemMessage, insecureLanOrigin } from '../capture/camera-errors.ts';
import { ProtocolFailure } from '../net/arena-client.ts';
import { joinFailureMessage } from '../net/seat-memory.ts';
import { isRoomCode, nicknameProblem, normaliseRoomCode } from '../net/validation.ts';
import { h, say, setBusy } from '../ui/dom.ts';
import { donationPanelFor } from '../ui/donation-consent.ts';
import { fontPx, THEME } from '../ui/theme.ts';
import { BaseScene, dpr } from './base-scene.ts';
import { SCENES } from './keys.ts';

export const PRIVACY_NOTICE =
  'Privacy: your camera picture stays in your browser. Only a small 48×48 grey face crop is sent while a round runs; ' +
  'the server scores it in memory and stores it only if you choose to donate it below. ' +
  'The leaderboard keeps your nickname and points.';

/** Nickname, create room, join by code, join by link. */
export class HomeScene extends BaseScene {
  private title!: Phaser.GameObjects.Text;
  private emojiRow!: Phaser.GameObjects.Text;

  constructor() {
    super(SCENES.home);
  }

  protected build(): void {
    this.title = this.text(0, 0, 'Emotion Arena', 32, THEME.accent).setOrigin(0.5);
    this.emojiRow = this.add
      .text(0, 0, EMOTIONS.map((e) => EMOTION_INFO[e].emoji).join(' '), {
        fontFamily: THEME.emojiFont,
        fontSize: '28px',
        resolution: dpr(),
      })
      .setOrigin(0.5);
    this.tweens.add({ targets: this.emojiRow, scale: 1.08, yoyo: true, repeat: -1, duration: 900, ease: 'Sine.InOut' });

    const linkCode = this.ctx.linkRoomCode;
    const msg = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    // Say it before the player creates a room: on plain http over a LAN address the camera is blocked.
    const page = pageContext();
    const insecure = insecureLanOrigin(page)
      ? h('p', { class: 'warning', id: 'insecure-warning' }, cameraProblemMessage('insecure', page))
      : null;
    const nick = h('input', {
      id: 'nickname',
      name: 'nickname',
      autocomplete: 'nickname',
      maxlength: NICKNAME_MAX_LENGTH,
      value: this.ctx.nickname(),
      placeholder: 'Your nickname',
      'data-autofocus': true,
    });
    const code = h('input', {
      id: 'room-code',
      name: 'room-code',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      maxlength: ROOM_CODE_LENGTH + 2,
      placeholder: 'CODE',
      value: linkCode ?? '',
    });
    const createBtn = h(
      'button',
      { id: 'create-room', type: 'button', class: linkCode ? 'secondary' : 'primary' },
      'Create room',
    );
    const joinBtn = h('button', { id: 'join-room', type: 'submit', class: linkCode ? 'primary' : 'secondary' }, 'Join');
    // Watching is a choice, not only the way out of a camera problem: no camera is asked for.
    const watchBtn = h('button', { id: 'watch-room', type: 'button', class: 'secondary' }, 'Watch');
    const boardBtn = h('button', { id: 'open-leaderboard', type: 'button', class: 'link' }, 'Leaderboard');

    const checkNick = (): string | null => {
      const problem = nicknameProblem(nick.value);
      if (problem) {
        say(msg, problem, 'error');
        nick.focus();
        return null;
      }
      const name = nick.value.trim();
      this.ctx.setNickname(name);
      return name;
    };
    const run = async (btn: HTMLButtonElement, action: (name: string) => Promise<unknown>, room?: string) => {
      const name = checkNick();
      if (!name) return;
      setBusy(btn, true);
      say(msg, 'Connecting…');
      try {
        await action(name);
        this.ctx.linkRoomCode = null;
        // The director switches to the lobby on the room state.
      } catch (err) {
        const text =
          err instanceof ProtocolFailure
            ? room
              ? joinFailureMessage(err.error.code, err.message, room, 'join')
              : err.message
            : `Could not reach the server (${String(err)}).`;
        say(msg, text, 'error');
      } finally {
        setBusy(btn, false);
      }
    };
    createBtn.addEventListener('click', () => void run(createBtn, (name) => this.ctx.net.createRoom(name, 'player')));
    const form = h(
      'form',
      { class: 'join-form', 'aria-label': 'Join a room by code' },
      h('label', { for: 'room-code' }, linkCode ? `Join room ${linkCode}` : 'Have a code?'),
      h('div', { class: 'row' }, code, joinBtn, watchBtn),
    );
    const joinAs = (btn: HTMLButtonElement, role: 'player' | 'spectator') => {
      const c = normaliseRoomCode(code.value);
      if (!isRoomCode(c)) {
        say(msg, `A room code has ${ROOM_CODE_LENGTH} letters or digits.`, 'error');
        code.focus();
        return;
      }
      this.ctx.wantedRole = role;
      void run(btn, (name) => this.ctx.net.joinRoom(c, name, role), c);
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      joinAs(joinBtn, 'player');
    });
    watchBtn.addEventListener('click', () => joinAs(watchBtn, 'spectator'));
    nick.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Enter') return;
      ev.preventDefault();
      if (linkCode) form.requestSubmit();
      else createBtn.click();
    });
    boardBtn.addEventListener('click', () => this.scene.start(SCENES.leaderboard));

    this.dom.root.append(
      h(
        'div',
        { class: 'panel home-panel' },
        h('label', { for: 'nickname' }, 'Nickname'),
        nick,
        createBtn,
        h('div', { class: 'divider', 'aria-hidden': 'true' }, 'or'),
        form,
        msg,
        insecure,
        boardBtn,
        h(
          'p',
          { class: 'privacy' },
          PRIVACY_NOTICE,
          ' ',
          h('a', { href: PRIVACY_PATH, id: 'privacy-link' }, 'Privacy policy'),
        ),
        donationPanelFor(this.ctx.net.socket),
      ),
    );
    if (this.ctx.notice) {
      say(msg, this.ctx.notice, 'error');
      this.ctx.notice = null;
    }
    this.listen('serverError', (e) => say(msg, e.message, 'error'));
  }

  protected layout(width: number, height: number): void {
    const titleSize = fontPx(width, height, 0.08, 26);
    this.title.setFontSize(titleSize).setPosition(width / 2, Math.max(36, height * 0.07));
    // Seven emoji must fit a 375 px phone: measure the rendered row and shrink it to fit.
    let emojiSize = Math.round(titleSize * 0.8);
    this.emojiRow.setFontSize(emojiSize);
    // The pulse tween scales the row up to 1.08×.
    const room = (width - 24) / 1.1;
    if (this.emojiRow.width > room) {
      emojiSize = Math.floor((emojiSize * room) / this.emojiRow.width);
      this.emojiRow.setFontSize(emojiSize);
    }
    this.emojiRow.setPosition(width / 2, this.title.y + titleSize * 1.4);
    this.dom.root.style.setProperty('--top', `${Math.round(this.emojiRow.y + titleSize)}px`);
  }
}
