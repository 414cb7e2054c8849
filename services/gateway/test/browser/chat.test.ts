import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chatTexts, demoServer, joinDemo, launchBrowser, say, until } from './browser-harness.js';

/**
 * The README's picture: written to docs/ only when asked (ROAR_UPDATE_SCREENSHOT=1), since every
 * run differs (times, burst positions) and would leave the tree dirty; else to test-results/.
 */
const SCREENSHOT = fileURLToPath(
  new URL(
    process.env.ROAR_UPDATE_SCREENSHOT === '1'
      ? '../../../../docs/demo.png'
      : '../../../../test-results/demo.png',
    import.meta.url,
  ),
);

describe('demo app in Chromium: chat', { timeout: 60_000 }, () => {
  it('two pages chat with each other, see the count and each other’s reactions', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const asha = await browser.page();
    const ben = await browser.page();
    await joinDemo(asha, server.httpUrl, { stream: 'final', name: 'Asha' });
    await joinDemo(ben, server.httpUrl, { stream: 'final', name: 'Ben' });

    await say(asha, 'What a catch!');
    await say(ben, 'Best over of the match 🏏');
    await say(asha, 'Six more needed off the last over');
    for (const page of [asha, ben]) {
      await until(async () => (await chatTexts(page)).length === 3, 'all three messages');
      expect(await chatTexts(page)).toEqual([
        'What a catch!',
        'Best over of the match 🏏',
        'Six more needed off the last over',
      ]);
      await until(
        async () => (await page.textContent('#count')) === '2 watching',
        'the count of two',
      );
      await page.locator('#conn', { hasText: 'live · websocket' }).waitFor();
    }
    expect(await asha.locator('#messages .msg .who').allTextContents()).toEqual([
      'Asha',
      'Ben',
      'Asha',
    ]);

    // Taps are summed per window on the server and come back as one burst each.
    await ben.bringToFront();
    for (const emoji of ['🔥', '🔥', '🔥', '👏']) {
      await ben.click(`#reactions [data-emoji="${emoji}"]`);
    }
    await asha.bringToFront();
    await asha.click('#reactions [data-emoji="🎉"]');
    const tally = (emoji: string) => asha.textContent(`#reactions [data-emoji="${emoji}"] .tally`);
    await until(async () => (await tally('🔥')) === '3', 'three 🔥 counted on the other page');
    await until(async () => (await tally('👏')) === '1' && (await tally('🎉')) === '1', 'the rest');
    // Bursts are on screen for under two seconds: take the picture while they are.
    await asha.setViewportSize({ width: 900, height: 520 });
    await asha.click('#reactions [data-emoji="🔥"]');
    await asha.click('#reactions [data-emoji="❤️"]');
    await asha.locator('#bursts .burst').first().waitFor();
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await asha.screenshot({ path: SCREENSHOT });
    expect(asha.dialogs).toEqual([]);
  });
});
