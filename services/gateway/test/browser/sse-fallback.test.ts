import { describe, expect, it } from 'vitest';
import { chatTexts, demoServer, joinDemo, launchBrowser, say, until } from './browser-harness.js';

/**
 * Installed before any page script: a WebSocket that fails as a proxy that blocks upgrades makes
 * it fail (an error, then a 1006 close, never an open), and counts the attempts.
 */
function blockWebSocket(): void {
  const w = window as unknown as { WebSocket: unknown; blockedDials: number };
  w.blockedDials = 0;
  w.WebSocket = class BlockedWebSocket extends EventTarget {
    static readonly OPEN = 1;
    readyState = 0;
    binaryType = 'blob';
    constructor() {
      super();
      w.blockedDials++;
      setTimeout(() => {
        this.readyState = 3;
        this.dispatchEvent(new Event('error'));
        this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '' }));
      }, 20);
    }
    send(): void {
      throw new DOMException('not open', 'InvalidStateError');
    }
    close(): void {}
  };
}

describe('demo app in Chromium: WebSocket blocked', { timeout: 60_000 }, () => {
  it('falls back to server-sent events: chat and the count still update', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const sam = await browser.page();
    await sam.addInitScript(blockWebSocket);
    const tia = await browser.page();
    await joinDemo(sam, server.httpUrl, { stream: 'sse', name: 'Sam' });
    await joinDemo(tia, server.httpUrl, { stream: 'sse', name: 'Tia' });
    await sam.locator('#conn', { hasText: 'live · sse' }).waitFor();
    await tia.locator('#conn', { hasText: 'live · websocket' }).waitFor();
    expect(await sam.evaluate(() => (window as { blockedDials?: number }).blockedDials)).toBe(3);

    await say(sam, 'typed behind a proxy');
    await say(tia, 'read you loud and clear');
    for (const page of [sam, tia]) {
      await until(async () => (await chatTexts(page)).length === 2, 'both messages');
      expect(await chatTexts(page)).toEqual(['typed behind a proxy', 'read you loud and clear']);
    }
    await until(async () => (await sam.textContent('#count')) === '2 watching', 'two watching');
    await server.viewer('sse');
    await until(async () => (await sam.textContent('#count')) === '3 watching', 'three watching');
    await sam.bringToFront();
    await sam.click('#reactions [data-emoji="👏"]');
    await until(
      async () => (await tia.textContent('#reactions [data-emoji="👏"] .tally')) === '1',
      'the reaction from the fallback page',
    );
  });
});
