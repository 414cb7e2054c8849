import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoServer, launchBrowser, until } from './browser-harness.js';

/** What the overlay on `page` shows now ("" before its first count). */
function overlayText(page: Page): Promise<string> {
  // Playwright's CSS engine pierces the element's open shadow root.
  return page.locator('roar-viewers [part="count"]').innerText();
}

describe('the <roar-viewers> overlay in Chromium', { timeout: 60_000 }, () => {
  it('live: the number changes when a third viewer joins', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const page = await browser.page();
    await page.goto(`${server.httpUrl}/overlay?stream=ov-live`);
    // The overlay's own anonymous connection is a viewer like any other.
    await until(async () => (await overlayText(page)) === '1 watching', 'the overlay itself');
    await server.viewer('ov-live');
    await until(async () => (await overlayText(page)) === '2 watching', 'a second viewer');
    const changes = page.evaluate(
      () =>
        new Promise<number>((resolve) =>
          document
            .querySelector('roar-viewers')
            ?.addEventListener(
              'change',
              (e) => resolve((e as CustomEvent<{ total: number }>).detail.total),
              {
                once: true,
              },
            ),
        ),
    );
    await server.viewer('ov-live');
    await until(async () => (await overlayText(page)) === '3 watching', 'the third viewer');
    expect(await changes).toBe(3);
    // It sits over the video, where the page put it.
    const video = await page.locator('video').boundingBox();
    const badge = await page.locator('roar-viewers').boundingBox();
    expect(video && badge && badge.x >= video.x && badge.y >= video.y).toBe(true);
  });

  it('poll: reads the cacheable count endpoint, in the page’s locale', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const page = await browser.page();
    const conditional: string[] = [];
    page.on('request', (req) => {
      const tag = req.headers()['if-none-match'];
      if (req.url().includes('/viewers') && tag) conditional.push(tag);
    });
    await server.viewer('ov-poll');
    await page.goto(`${server.httpUrl}/overlay?stream=ov-poll&mode=poll&interval=1&lang=de`);
    // Polling does not open a connection, so only the test's viewers count.
    await until(async () => (await overlayText(page)) === '1 watching', 'one viewer, polled');
    await server.viewer('ov-poll');
    await until(async () => (await overlayText(page)) === '2 watching', 'two viewers, polled');
    await until(async () => conditional.length > 0, 'a poll that sent If-None-Match');
    await page.evaluate(() =>
      document.querySelector('roar-viewers')?.setAttribute('label', 'Zuschauer'),
    );
    expect(await overlayText(page)).toBe('2 Zuschauer');
  });

  it('poll, cross-origin: a player page elsewhere still gets the count (no preflight)', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const page = await browser.page();
    const failed: string[] = [];
    page.on('requestfailed', (req) => failed.push(req.url()));
    // Added by the browser's HTTP cache, so it shows in the headers sent, not the page's own.
    let revalidated = 0;
    page.on('requestfinished', (req) => {
      void req.allHeaders().then((h) => {
        if (req.url().endsWith('/viewers') && h['if-none-match']) revalidated++;
      });
    });
    await server.viewer('ov-x');
    // localhost and 127.0.0.1 are different origins for the browser: the page is "elsewhere".
    const other = `http://localhost:${server.port}`;
    await page.goto(
      `${other}/overlay?stream=ov-x&mode=poll&interval=1&server=${encodeURIComponent(server.httpUrl)}`,
    );
    await until(async () => (await overlayText(page)) === '1 watching', 'the cross-origin count');
    await server.viewer('ov-x');
    await until(async () => (await overlayText(page)) === '2 watching', 'and its change');
    await until(async () => revalidated > 0, 'a poll revalidated with If-None-Match');
    expect(failed).toEqual([]);
  });
});
