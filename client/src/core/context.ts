/** Singletons every scene needs, handed over through the Phaser registry. */
import type Phaser from 'phaser';
import type { CaptureController } from '../capture/capture-controller.ts';
import type { ClientConfig } from '../config.ts';
import type { ArenaClient } from '../net/arena-client.ts';
import type { BusEvents, EventBus } from './event-bus.ts';
import type { ArenaStore } from './store.ts';

export interface AppContext {
  bus: EventBus<BusEvents>;
  net: ArenaClient;
  store: ArenaStore;
  capture: CaptureController;
  config: ClientConfig;
  nickname: () => string;
  setNickname: (name: string) => void;
  /** Role chosen for joining: 'spectator' after the player chose to watch without camera. */
  wantedRole: 'player' | 'spectator';
  /** A message for the home scene to show once (why we left the room). */
  notice: string | null;
  /** Room code from a join link, consumed by the home scene. */
  linkRoomCode: string | null;
  /** Set while the page rejoins its remembered seat on load; the preloader waits for it. */
  rejoining: Promise<void> | null;
}

const KEY = 'arena-context';

export function setContext(game: Phaser.Game, ctx: AppContext): void {
  game.registry.set(KEY, ctx);
}

export function ctxOf(scene: Phaser.Scene): AppContext {
  return scene.registry.get(KEY) as AppContext;
}
