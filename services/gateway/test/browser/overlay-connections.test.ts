import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoServer, launchBrowser, until } from './browser-harness.js';

/** Long enough for a second dial or a doubled poll to show; the assertion is that none does. */
const SETTLE_MS = 2_500;

/**
 * Counts the WebSockets a page constructs (before any script of the page runs), so a socket
 * closed before its connection is established counts too.
 */
async function countSockets(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    const opened: string[] = [];
    Object.assign(window, { roarSockets: opened });
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        opened.push(String(url));
      }
    };
  });
}

function socketsOpened(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { roarSockets: string[] }).roarSockets);
}

function overlayText(page: Page): Promise<string> {
  return page.locator('roar-viewers [part="count"]').innerText();
}

describe('the <roar-viewers> overlay opens one connection per element', { timeout: 60_000 }, () => {
  it('live, upgraded with its attributes set: one WebSocket, never closed', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const page = await browser.page();
    await countSockets(page);
    const closed: string[] = [];
    page.on('websocket', (ws) => ws.on('close', () => closed.push(ws.url())));
    // The example page sets stream, server, mode and lang before overlay.js defines the element.
    await page.goto(`${server.httpUrl}/overlay?stream=one-live&server=${server.httpUrl}&lang=en`);
    await until(async () => (await overlayText(page)) === '1 watching', 'the live count');
    await page.waitForTimeout(SETTLE_MS);
    expect(await socketsOpened(page)).toHaveLength(1);
    expect(closed).toEqual([]);
    // One viewer is the overlay's own connection: a second, dropped one would have counted too.
    expect(await overlayText(page)).toBe('1 watching');
  });

  it('live, created by script and given four attributes: one WebSocket', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const page = await browser.page();
    await countSockets(page);
    await page.goto(`${server.httpUrl}/overlay?stream=other`);
    await until(async () => (await socketsOpened(page)).length === 1, 'the page’s own element');
    await page.evaluate((base) => {
      const element = document.createElement('roar-viewers');
      element.setAttribute('id', 'made');
      document.body.append(element);
      element.setAttribute('server', base);
      element.setAttribute('stream', 'made-live');
      element.setAttribute('interval', '3');
      element.setAttribute('lang', 'en');
    }, server.httpUrl);
    await until(
      async () => (await page.locator('#made [part="count"]').innerText()) === '1 watching',
      'the scripted element’s count',
    );
    await page.waitForTimeout(SETTLE_MS);
    const made = (await socketsOpened(page)).slice(1);
    expect(made).toHaveLength(1);
  });

  it('live: a new stream attribute swaps the connection once', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const page = await browser.page();
    await countSockets(page);
    await page.goto(`${server.httpUrl}/overlay?stream=swap-a`);
    await until(async () => (await overlayText(page)) === '1 watching', 'the first stream');
    await server.viewer('swap-b');
    await page.evaluate(() =>
      document.querySelector('roar-viewers')?.setAttribute('stream', 'swap-b'),
    );
    await until(async () => (await overlayText(page)) === '2 watching', 'the second stream');
    // The same value again changes nothing.
    await page.evaluate(() =>
      document.querySelector('roar-viewers')?.setAttribute('stream', 'swap-b'),
    );
    await page.waitForTimeout(SETTLE_MS);
    expect(await socketsOpened(page)).toHaveLength(2);
  });

  it('poll at interval=1: one request a second, no doubled poller', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const page = await browser.page();
    await countSockets(page);
    const polls: number[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/v1/streams/one-poll/viewers')) polls.push(Date.now());
    });
    await server.viewer('one-poll');
    await page.goto(`${server.httpUrl}/overlay?stream=one-poll&mode=poll&interval=1&lang=en`);
    await until(async () => (await overlayText(page)) === '1 watching', 'the polled count');
    await until(async () => polls.length >= 4, 'four polls');
    const gaps = polls.slice(1).map((at, i) => at - (polls[i] ?? at));
    // A second poller would put two requests a few milliseconds apart; timers run late under
    // load, never early (a little slack for where Playwright stamps the request).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(800);
    expect(await socketsOpened(page)).toEqual([]);
  });
});
