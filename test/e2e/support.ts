/**
 * E2E plumbing: Debian's Chromium through playwright-core (never a downloaded browser), a fresh
 * client build when sources changed, and the real game server in-process on a random port.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { ArenaHook } from '../../client/src/ui/hooks.ts';
import { createEmotionEngine } from '../../server/ml/engine/create-engine.ts';
import type { EmotionEngine } from '../../server/ml/engine/types.ts';
import {
  markerEngine,
  SHORT_TIMINGS,
  shippedModelDir,
  startTestServer,
  type TestServer,
} from '../helpers/server-harness.ts';
import { type DemoFace, makeFakeCameraVideo } from '../helpers/y4m.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');
export const CHROMIUM = '/usr/bin/chromium';

const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Keep timers and rAF running in background pages: several players share one machine.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Installs Chromium/ffmpeg with apt-get when missing (quiet when present). */
export function ensureTools(): void {
  execFileSync('bash', [path.join(ROOT, 'scripts/install-chromium.sh')], { stdio: 'inherit' });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds client/dist unless it is newer than every client source and the shared protocol. */
export function ensureClientBuild(): void {
  const index = path.join(ROOT, 'client/dist/index.html');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'client/src')),
    statSync(path.join(ROOT, 'client/index.html')).mtimeMs,
    newestMtime(path.join(ROOT, 'shared')),
  );
  if (existsSync(index) && statSync(index).mtimeMs > sources) return;
  execFileSync('npx', ['vite', 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export interface E2EServer {
  server: TestServer;
  engine: EmotionEngine;
  /** True when a trained model (models/emotion) scores the frames. */
  realModel: boolean;
  close(): Promise<void>;
}

/**
 * The real server with the shipped model. `allowMarker` lets tests that do not judge scores
 * run before a model exists; the marker engine must never back a scoring assertion.
 */
export async function startServer(opts: {
  allowMarker: boolean;
  timings?: Partial<typeof SHORT_TIMINGS>;
}): Promise<E2EServer | null> {
  const dir = shippedModelDir();
  if (!dir && !opts.allowMarker) return null;
  const engine = dir ? await createEmotionEngine({ modelDir: dir, workers: 1 }) : markerEngine();
  const server = await startTestServer({ engine, serveClient: true, timings: { ...SHORT_TIMINGS, ...opts.timings } });
  return {
    server,
    engine,
    realModel: dir !== null,
    async close() {
      await server.close();
      await engine.dispose();
    },
  };
}

export interface Player {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  userDataDir: string;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Face shown by the fake camera; null → the camera prompt is denied. */
  face: DemoFace | null;
  viewport?: { width: number; height: number };
  workDir: string;
  name: string;
  /** More Chromium flags (e.g. host resolver rules). */
  extraArgs?: string[];
}

/** One Chromium process per player: the fake camera file is a process-wide flag. */
export async function launchPlayer(opts: LaunchOptions): Promise<Player> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), `arena-chromium-${opts.name}-`));
  const flags = [...BASE_FLAGS, `--user-data-dir=${userDataDir}`, '--use-fake-device-for-media-stream'];
  if (opts.face) {
    const video = makeFakeCameraVideo({ face: opts.face, out: path.join(opts.workDir, `${opts.name}.y4m`) });
    flags.push('--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`);
  } else {
    // A camera exists but the permission prompt is refused, as when a player clicks "Block".
    flags.push('--deny-permission-prompts');
  }
  flags.push(...(opts.extraArgs ?? []));
  // launch() with a user-data-dir flag is refused by Playwright; launchPersistentContext is its way.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: flags.filter((f) => f !== '--headless' && !f.startsWith('--user-data-dir')),
    viewport: opts.viewport ?? { width: 1100, height: 760 },
  });
  const browser = context.browser() as Browser;
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log(`[${opts.name} console.${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[${opts.name} pageerror] ${e.message}`));
  return {
    browser,
    context,
    page,
    userDataDir,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export function workDir(name: string): string {
  const dir = path.join(ARTIFACTS, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface E2ESuiteOptions {
  /** As for startServer: a suite that judges no scores may run on the marker engine. */
  allowMarker: boolean;
  timings?: Partial<typeof SHORT_TIMINGS>;
  /** Browser players launched, in this order, once the server is up; their workDir is the suite's folder. */
  players?: Omit<LaunchOptions, 'workDir'>[];
}

export interface E2ESuite {
  /** The suite's artifacts folder, test-artifacts/e2e/<name>. */
  readonly dir: string;
  /** The running server (throws when read before beforeAll started it). */
  readonly srv: E2EServer;
  /** The players of `players`, launched in beforeAll. */
  readonly players: Player[];
}

/**
 * The set-up every browser suite shares, registered in the calling describe block: beforeAll
 * installs the tools, builds the client, starts the server and launches the players; afterAll
 * closes the players, then the server.
 */
export function setUpE2ESuite(name: string, opts: E2ESuiteOptions): E2ESuite {
  const dir = workDir(name);
  let srv: E2EServer | null = null;
  const players: Player[] = [];
  beforeAll(async () => {
    ensureTools();
    ensureClientBuild();
    srv = await startServer(opts);
    if (!srv) throw new Error(`${name}: no trained model in models/emotion, and this suite needs one`);
    for (const p of opts.players ?? []) players.push(await launchPlayer({ ...p, workDir: dir }));
  });
  afterAll(async () => {
    for (const p of players) await p.close();
    await srv?.close();
  });
  return {
    dir,
    get srv(): E2EServer {
      if (!srv) throw new Error(`${name}: the e2e server is not running`);
      return srv;
    },
    players,
  };
}

/** Reads window.__arena (the client's test hook). */
export async function hook(page: Page): Promise<ArenaHook> {
  return page.evaluate(() => {
    const h = window.__arena!;
    // Functions do not cross the boundary; the rest is plain data.
    return JSON.parse(JSON.stringify({ ...h, lastFrameBase64: undefined })) as ArenaHook;
  });
}

export async function waitForScene(page: Page, scene: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction((s) => window.__arena?.scene === s, scene, { timeout, polling: 200 });
  // One frame for the scene to lay out before screenshots.
  await page.waitForTimeout(150);
}

export async function shot(page: Page, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
