import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chatTexts, demoServer, joinDemo, launchBrowser, say, until } from './browser-harness.js';

/** Opens the moderator menu of the message reading `text` and picks `action`. */
async function fromMenu(page: Page, text: string, action: string): Promise<void> {
  await page.bringToFront();
  const row = page.locator('#messages .msg', { hasText: text });
  await row.locator('summary').click();
  await row.locator(`button[data-action="${action}"]`).click();
}

describe('demo app in Chromium: the moderator console', { timeout: 60_000 }, () => {
  it('a moderator deletes a message and it disappears from the other page', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const mod = await browser.page();
    const ben = await browser.page();
    await joinDemo(mod, server.httpUrl, { stream: 'mod', name: 'Mia', role: 'moderator' });
    await joinDemo(ben, server.httpUrl, { stream: 'mod', name: 'Ben' });
    await mod.locator('#mod h2', { hasText: 'Moderator console' }).waitFor();
    expect(await ben.locator('#mod').isHidden()).toBe(true);
    expect(await ben.locator('#messages summary').count()).toBe(0);

    await say(ben, 'first, harmless');
    await say(ben, 'buy followers at spam dot example');
    await until(async () => (await chatTexts(mod)).length === 2, 'both on the mod page');
    await fromMenu(mod, 'buy followers', 'delete');
    for (const page of [ben, mod]) {
      await page
        .locator('#messages .msg', { hasText: 'buy followers' })
        .waitFor({ state: 'detached' });
      expect(await chatTexts(page)).toEqual(['first, harmless']);
    }
    await mod.locator('#mod .audit li[data-action="delete"]').waitFor();
    // The moderator's own chat carries the badge the server gave it for this stream.
    await say(mod, 'a word from the mod');
    await ben
      .locator('#messages .msg', { hasText: 'a word from the mod' })
      .locator('.badge.mod')
      .waitFor();
  });

  it('pins, changes the rules, and approves a held message', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const mod = await browser.page();
    const ben = await browser.page();
    await joinDemo(mod, server.httpUrl, { stream: 'rules', name: 'Mia', role: 'moderator' });
    await joinDemo(ben, server.httpUrl, { stream: 'rules', name: 'Ben' });
    await say(ben, 'pin me please');
    await until(async () => (await chatTexts(mod)).includes('pin me please'), 'on the mod page');
    await fromMenu(mod, 'pin me please', 'pin');
    await ben.locator('#pinned', { hasText: 'pin me please' }).waitFor();

    // Unique chat and a hold delay: viewers' messages now wait for a moderator.
    await mod.locator('#mod input[name="slowModeS"]').waitFor();
    await until(
      async () => (await mod.inputValue('#mod input[name="maxLength"]')) !== '',
      'the settings loaded',
    );
    await mod.bringToFront();
    await mod.check('#mod input[name="uniqueChat"]');
    await mod.fill('#mod input[name="holdS"]', '300');
    await mod.click('#mod .settings button[type="submit"]');
    await mod.locator('#mod .mod-status', { hasText: 'Settings saved' }).waitFor();
    await ben.locator('#rules', { hasText: 'no repeated messages' }).waitFor();

    await say(ben, 'held until approved');
    await ben.locator('#notice', { hasText: 'waiting for a moderator' }).waitFor();
    const held = mod.locator('#mod .held li', { hasText: 'held until approved' });
    await held.waitFor();
    expect(await chatTexts(mod)).not.toContain('held until approved');
    await mod.bringToFront();
    await held.locator('button[data-action="approve"]').click();
    for (const page of [ben, mod]) {
      await until(async () => (await chatTexts(page)).includes('held until approved'), 'approved');
    }
    await held.waitFor({ state: 'detached' });
  });

  it('a timeout from the menu removes the user’s messages everywhere', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const mod = await browser.page();
    const troll = await browser.page();
    await joinDemo(mod, server.httpUrl, { stream: 'to', name: 'Mia', role: 'moderator' });
    await joinDemo(troll, server.httpUrl, { stream: 'to', name: 'Troll' });
    await say(troll, 'spam one');
    await say(troll, 'spam two');
    await until(async () => (await chatTexts(mod)).length === 2, 'the spam arrived');
    await fromMenu(mod, 'spam one', 'timeout');
    for (const page of [mod, troll]) {
      await page.locator('#messages .msg.system', { hasText: 'Troll was timed out' }).waitFor();
      expect(await chatTexts(page)).toEqual([]);
    }
    await troll.fill('#text', 'spam three');
    await troll.press('#text', 'Enter');
    await troll.locator('#notice', { hasText: 'timed_out' }).waitFor();

    // The console lists the timeout; lifting it lets the user chat again.
    const row = mod.locator('#mod .bans li', { hasText: 'timed out until' });
    await row.waitFor();
    await mod.bringToFront();
    await row.locator('button[data-action="unban"]').click();
    await row.waitFor({ state: 'detached' });
    await mod.locator('#mod .audit li[data-action="unban"]').waitFor();
    await say(troll, 'sorry, behaving now');
    await until(
      async () => (await chatTexts(mod)).includes('sorry, behaving now'),
      'chat after the timeout was lifted',
    );
  });
});
