import { freePort } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../harness.js';
import { chatTexts, demoServer, joinDemo, launchBrowser, say, until } from './browser-harness.js';

describe('demo app in Chromium: server restart', { timeout: 60_000 }, () => {
  it('reconnects after the server restarts on the same port, and chat resumes', async () => {
    const port = await freePort();
    let server: TestServer = await demoServer(port);
    try {
      await using browser = await launchBrowser();
      const asha = await browser.page();
      const ben = await browser.page();
      await joinDemo(asha, server.httpUrl, { stream: 'restart', name: 'Asha' });
      await joinDemo(ben, server.httpUrl, { stream: 'restart', name: 'Ben' });
      await say(asha, 'before the restart');
      await until(async () => (await chatTexts(ben)).includes('before the restart'), 'first chat');
      // A mark in each page's memory: still there afterwards means reconnected, not reloaded.
      for (const page of [asha, ben]) {
        await page.evaluate(() => Object.assign(window, { sameDocument: true }));
      }

      await server.embedded.stop();
      for (const page of [asha, ben]) {
        await until(
          async () => (await page.getAttribute('#conn', 'data-state')) !== 'open',
          'the page noticed the server went away',
        );
      }
      server = await demoServer(port);
      for (const page of [asha, ben]) {
        await until(
          async () => (await page.getAttribute('#conn', 'data-state')) === 'open',
          'the page reconnected to the new server',
        );
        await page.locator('#text:enabled').waitFor();
      }
      await say(ben, 'after the restart');
      await until(
        async () => (await chatTexts(asha)).includes('after the restart'),
        'chat resumed',
      );
      // The new server has no history: nothing is repeated, nothing lost from what was shown.
      expect(await chatTexts(asha)).toEqual(['before the restart', 'after the restart']);
      for (const page of [asha, ben]) {
        expect(await page.evaluate(() => 'sameDocument' in window)).toBe(true);
        await until(async () => (await page.textContent('#count')) === '2 watching', 'count back');
      }
    } finally {
      await server[Symbol.asyncDispose]();
    }
  });
});
