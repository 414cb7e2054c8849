import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  SOON_MS,
  chatTexts,
  demoServer,
  joinDemo,
  launchBrowser,
  say,
  until,
} from './browser-harness.js';

/** Opens the moderator menu of the message reading `text` and picks `action`. */
async function fromMenu(page: Page, text: string, action: string): Promise<void> {
  await page.bringToFront();
  const row = page.locator('#messages .msg', { hasText: text });
  await row.locator('summary').click();
  await row.locator(`button[data-action="${action}"]`).click();
}

/** Horizontal room between two elements on one line, in CSS pixels. */
async function gapBetween(left: Locator, right: Locator): Promise<number> {
  const a = await left.boundingBox();
  const b = await right.boundingBox();
  if (!a || !b) throw new Error('an element is not laid out');
  return b.x - (a.x + a.width);
}

describe(
  'demo app in Chromium: what a first visit and a moderator see',
  { timeout: 90_000 },
  () => {
    it('the landing page explains joining, watching anonymously, and has a favicon', async () => {
      await using server = await demoServer();
      await using browser = await launchBrowser();
      const page = await browser.page();
      const icons: number[] = [];
      page.on('response', (res) => {
        if (/\/favicon\.(svg|ico)$/.test(res.url())) icons.push(res.status());
      });
      await page.goto(`${server.httpUrl}/`);
      const intro = page.locator('#intro');
      await intro.waitFor();
      expect(await intro.innerText()).toMatch(/name empty to watch anonymously/i);
      expect(await page.getAttribute('#name', 'placeholder')).toMatch(/watch/);
      await until(async () => icons.length > 0, 'the favicon requested');
      expect(icons).toEqual([200]);
      const type = await page.evaluate(async () => {
        const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href ?? '';
        return (await fetch(href)).headers.get('content-type');
      });
      expect(type).toBe('image/svg+xml');
    });

    it('anonymous viewers watch: no reaction buttons, a send box that says why', async () => {
      await using server = await demoServer();
      await using browser = await launchBrowser();
      const anon = await browser.page();
      const asha = await browser.page();
      await joinDemo(asha, server.httpUrl, { stream: 'anon', name: 'Asha' });
      await anon.bringToFront();
      await anon.goto(`${server.httpUrl}/?stream=anon`);
      await anon.click('#join');
      await anon.locator('#conn[data-state="open"]').waitFor();
      await until(async () => (await anon.textContent('#count')) === '2 watching', 'both counted');
      expect(await anon.locator('#intro').isHidden()).toBe(true);
      expect(await anon.locator('#reactions').isHidden()).toBe(true);
      expect(await anon.locator('#text').isDisabled()).toBe(true);
      expect(await anon.getAttribute('#text', 'placeholder')).toMatch(/anonymously/);
      // A signed-in viewer has the buttons, and the anonymous one sees what they send.
      expect(await asha.locator('#reactions [data-emoji]').count()).toBeGreaterThan(0);
      await say(asha, 'hello, watchers');
      await until(async () => (await chatTexts(anon)).includes('hello, watchers'), 'chat, read');
    });

    it('a rate-limit notice goes away once its wait is over', async () => {
      await using server = await demoServer(0, { ROAR_CHAT_BURST: '1', ROAR_CHAT_RATE: '1' });
      await using browser = await launchBrowser();
      const page = await browser.page();
      await joinDemo(page, server.httpUrl, { stream: 'slow', name: 'Asha' });
      await say(page, 'one');
      await page.fill('#text', 'two, too soon');
      await page.press('#text', 'Enter');
      const notice = page.locator('#notice', { hasText: /try again in \d+ s/ });
      await notice.waitFor();
      // retryAfterMs is at most a second at one message a second; the notice outlives it by little.
      await notice.waitFor({ state: 'detached', timeout: SOON_MS }).catch(async () => {
        await until(async () => (await page.textContent('#notice')) === '', 'the notice cleared');
      });
      expect(await page.textContent('#notice')).toBe('');
    });

    it('the console: spaced buttons, confirmations, names in the audit log, one time format', async () => {
      await using server = await demoServer();
      await using browser = await launchBrowser();
      const mod = await browser.page();
      const ben = await browser.page();
      await joinDemo(mod, server.httpUrl, { stream: 'ux', name: 'Mia', role: 'moderator' });
      await joinDemo(ben, server.httpUrl, { stream: 'ux', name: 'Ben' });
      await mod.locator('#mod h2', { hasText: 'Moderator console' }).waitFor();
      const announce = mod.locator('#mod .announce button', { hasText: 'Announce' });
      const clear = mod.locator('#mod button[data-action="clear"]');
      expect(await gapBetween(announce, clear)).toBeGreaterThanOrEqual(4);

      await say(ben, 'buy followers at spam dot example');
      await say(ben, 'second message');
      await until(async () => (await chatTexts(mod)).length === 2, 'both on the mod page');

      // Clear asks first; Cancel leaves the chat alone.
      await mod.bringToFront();
      await clear.click();
      const confirm = mod.locator('#mod .confirm');
      await confirm.locator('p', { hasText: 'Clear the chat for everyone?' }).waitFor();
      await confirm.locator('button[data-confirm="no"]').click();
      await confirm.waitFor({ state: 'hidden' });
      expect(await chatTexts(ben)).toHaveLength(2);

      // The audit log names the message and its author, not their ids.
      await fromMenu(mod, 'buy followers', 'delete');
      const deleted = mod.locator('#mod .audit li[data-action="delete"]');
      await deleted.waitFor();
      expect(await deleted.locator('.actor').innerText()).toBe('Mia');
      expect(await deleted.locator('.what').innerText()).toBe(
        'deleted “buy followers at spam dot example” by Ben',
      );

      // Ban asks first too; confirming bans, and the log and the ban list say who.
      await fromMenu(mod, 'second message', 'ban');
      await confirm.locator('p', { hasText: 'Ban Ben from this stream?' }).waitFor();
      expect(await chatTexts(ben)).toEqual(['second message']);
      await confirm.locator('button[data-confirm="yes"]').click();
      await ben.locator('#messages .msg.system', { hasText: 'Ben was banned' }).waitFor();
      await mod
        .locator('#mod .audit li[data-action="ban"] .what', { hasText: 'banned Ben' })
        .waitFor();
      await mod.locator('#mod .bans li .who', { hasText: 'Ben' }).waitFor();

      // Clear, confirmed, clears.
      await say(mod, 'fresh start');
      await mod.bringToFront();
      await clear.click();
      await confirm.locator('button[data-confirm="yes"]').click();
      await ben.locator('#messages .msg.system', { hasText: 'cleared' }).waitFor();
      await mod.locator('#mod .audit li[data-action="clear"]').waitFor();

      // Every time on the page, chat and console alike, in one format.
      await say(mod, 'what time is it');
      // The ack comes before the batch that carries the message: wait for its row.
      await mod.locator('#messages .msg', { hasText: 'what time is it' }).waitFor();
      const times = await mod.locator('#messages time, #mod time').allTextContents();
      expect(times.length).toBeGreaterThanOrEqual(4);
      const shapes = new Set(times.map((t) => t.replace(/\d/g, '9')));
      expect([...shapes]).toHaveLength(1);
      expect(mod.dialogs).toEqual([]);
      await mod.screenshot({ path: 'test-results/demo-console.png' });
    });
  },
);
