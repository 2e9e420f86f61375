/** UI steps shared by the e2e tests, done the way a player does them (DOM controls). */
import type { Page } from 'playwright-core';
import { waitForScene } from './support.ts';

export async function openHome(page: Page, baseUrl: string, query = ''): Promise<void> {
  await page.goto(`${baseUrl}/${query}`);
  await waitForScene(page, 'Home');
}

export async function createRoom(page: Page, nickname: string): Promise<string> {
  await page.fill('#nickname', nickname);
  await page.click('#create-room');
  await waitForScene(page, 'Lobby');
  return page.evaluate(() => window.__arena!.room!.code);
}

export async function joinRoom(page: Page, code: string, nickname: string): Promise<void> {
  await page.fill('#nickname', nickname);
  await page.fill('#room-code', code);
  await page.click('#join-room');
  await waitForScene(page, 'Lobby');
}

/** Host sets rounds / seconds / prompted emotions through the lobby form. */
export async function configureGame(
  page: Page,
  settings: { rounds: number; roundSeconds: number; emotions?: string[] },
): Promise<void> {
  await page.fill('#set-rounds', String(settings.rounds));
  await page.dispatchEvent('#set-rounds', 'change');
  await page.waitForFunction((n) => window.__arena?.room?.settings.rounds === n, settings.rounds);
  await page.fill('#set-seconds', String(settings.roundSeconds));
  await page.dispatchEvent('#set-seconds', 'change');
  await page.waitForFunction((n) => window.__arena?.room?.settings.roundSeconds === n, settings.roundSeconds);
  if (settings.emotions) {
    const wanted = settings.emotions;
    // The settings form re-renders after each accepted change: re-query every time.
    for (const value of ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']) {
      const box = page.locator(`#settings input[type=checkbox][value=${value}]`);
      const on = wanted.includes(value);
      if ((await box.isChecked()) !== on) {
        await box.setChecked(on);
        await page.waitForFunction(([v, o]) => window.__arena?.room?.settings.emotions.includes(v as never) === o, [
          value,
          on,
        ] as const);
      }
    }
  }
}

/** Waits until the page's detector has found a face in the live (fake) camera. */
export async function waitForFace(page: Page, timeout = 90_000): Promise<void> {
  await page.waitForFunction(() => (window.__arena?.capture?.facesInView ?? 0) > 0, undefined, {
    timeout,
    polling: 250,
  });
}
