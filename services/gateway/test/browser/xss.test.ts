import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { token } from '../harness.js';
import { chatTexts, demoServer, joinDemo, launchBrowser, say, until } from './browser-harness.js';

/** Each payload sets a flag or opens a dialog if it ever runs. */
const PAYLOADS = [
  '<script>window.pwned = "script"</script>',
  '<img src=x onerror="window.pwned = \'img\'">',
  '<svg onload=alert(1)><b>bold</b> & <i>markup</i> &lt;escaped&gt;',
  '"><iframe src="javascript:alert(2)"></iframe>',
];
/** A display name the dev login would refuse, so it comes in a token the test signs itself. */
const EVIL_NAME = '<img src=x onerror=alert(3)>Eve';

async function pwned(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as { pwned?: unknown }).pwned);
}

describe('demo app in Chromium: user content is text, never markup', { timeout: 60_000 }, () => {
  it('shows markup in chat, names, pins and announcements literally, and runs none of it', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const eve = await browser.page();
    const ben = await browser.page();
    // Eve signs in with a hostile display name (a moderator, so she can pin and announce).
    const evil = await token('eve', { name: EVIL_NAME, roles: ['moderator:xss'] });
    await eve.route('**/dev/token', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ token: evil }),
      }),
    );
    await joinDemo(eve, server.httpUrl, { stream: 'xss', name: 'Eve' });
    await joinDemo(ben, server.httpUrl, { stream: 'xss', name: 'Ben' });
    for (const text of PAYLOADS) await say(eve, text);
    await until(async () => (await chatTexts(ben)).length === PAYLOADS.length, 'every payload');

    // Pin one and announce another, so the banner and announcement rows are covered too.
    await eve.bringToFront();
    const pinned = PAYLOADS[1] ?? '';
    const row = eve.locator('#messages .msg', { hasText: pinned });
    await row.locator('summary').click();
    await row.locator('button[data-action="pin"]').click();
    await eve.fill('#mod input[name="announcement"]', '<script>window.pwned="announce"</script>');
    await eve.click('#mod .announce button[type="submit"]');

    for (const page of [ben, eve]) {
      await until(async () => (await page.textContent('#pinned .text')) === pinned, 'the pin');
      await page.locator('#messages .announcement', { hasText: '<script>' }).waitFor();
      expect(await chatTexts(page)).toEqual([
        ...PAYLOADS,
        '<script>window.pwned="announce"</script>',
      ]);
      const names = await page.locator('#messages .msg:not(.announcement) .who').allTextContents();
      expect(names).toEqual(PAYLOADS.map(() => EVIL_NAME));
      expect(await page.textContent('#pinned .who')).toBe(EVIL_NAME);
      // Nothing became an element, nothing ran.
      expect(await page.locator('#messages img, #messages script, #messages svg').count()).toBe(0);
      expect(await page.locator('#messages b, #messages iframe, #pinned img').count()).toBe(0);
      expect(await pwned(page)).toBeUndefined();
      expect(page.dialogs).toEqual([]);
    }
  });
});
