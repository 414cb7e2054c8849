import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoServer, joinDemo, launchBrowser, until } from './browser-harness.js';

/** The board's question texts on `page`, in the order shown. */
const listed = (page: Page): Promise<string[]> =>
  page.locator('#qa-list .qa-text').allTextContents();

describe('demo app in Chromium: Q&A', { timeout: 90_000 }, () => {
  it('viewers ask and upvote, the list orders by upvotes, a moderator picks one for everyone', async () => {
    await using server = await demoServer(0, { ROAR_QA_ASK_INTERVAL_MS: '60000' });
    await using browser = await launchBrowser();
    const mod = await browser.page();
    const ann = await browser.page();
    const ben = await browser.page();
    await joinDemo(mod, server.httpUrl, { stream: 'qa', name: 'Mia', role: 'moderator' });
    await joinDemo(ann, server.httpUrl, { stream: 'qa', name: 'Ann' });
    await joinDemo(ben, server.httpUrl, { stream: 'qa', name: 'Ben' });
    // Only the moderator has the Q&A controls; viewers see no panel before a Q&A exists.
    await mod.locator('#qa-open').waitFor();
    expect(await ann.locator('#qa').isHidden()).toBe(true);

    await mod.bringToFront();
    await mod.locator('#qa-open').click();
    for (const page of [ann, ben]) await page.locator('#qa-status', { hasText: 'open' }).waitFor();
    expect(await ben.locator('#qa-controls').isHidden()).toBe(true);

    const ask = async (page: Page, text: string): Promise<void> => {
      await page.bringToFront();
      await page.fill('#qa-text', text);
      await page.click('#qa-send');
      // The asker sees it at once, under "Your questions".
      await page.locator('#qa-mine li', { hasText: text }).waitFor();
    };
    await ask(ann, 'Who opens the bowling?');
    await ask(ben, 'Is rain expected?');
    for (const page of [mod, ann, ben])
      await until(async () => (await listed(page)).length === 2, 'both questions listed');

    // Ties list the newest first: Ben's, then Ann's.
    expect(await listed(ann)).toEqual(['Is rain expected?', 'Who opens the bowling?']);
    // Mia and Ben upvote Ann's question: it goes first on every page, with 2 upvotes.
    for (const page of [mod, ben]) {
      await page.bringToFront();
      await page
        .locator('#qa-list .qa-q', { hasText: 'Who opens the bowling?' })
        .locator('.qa-up')
        .click();
    }
    for (const page of [mod, ann, ben]) {
      await until(
        async () =>
          JSON.stringify(await listed(page)) ===
          JSON.stringify(['Who opens the bowling?', 'Is rain expected?']),
        'the upvoted question first',
      );
    }
    const annQ = ben.locator('#qa-list .qa-q', { hasText: 'Who opens the bowling?' });
    expect(await annQ.locator('.qa-votes').textContent()).toBe('2');
    // Ann cannot upvote her own question: no button on it; her list shows its upvotes.
    expect(
      await ann
        .locator('#qa-list .qa-q', { hasText: 'Who opens the bowling?' })
        .locator('.qa-up')
        .count(),
    ).toBe(0);
    await ann.locator('#qa-mine li', { hasText: '(2 ▲)' }).waitFor();

    // Ann reloads: her question comes back under "Your questions", from the server.
    await joinDemo(ann, server.httpUrl, { stream: 'qa', name: 'Ann' });
    await ann.locator('#qa-mine li', { hasText: 'Who opens the bowling?' }).waitFor();

    // The moderator console picks Ann's question: highlighted for everyone.
    await mod.bringToFront();
    await mod
      .locator('#qa-list .qa-q', { hasText: 'Who opens the bowling?' })
      .locator('button', { hasText: 'Pick' })
      .click();
    for (const page of [ann, ben]) {
      await page
        .locator('#qa-picked .qa-q-picked', { hasText: 'Who opens the bowling?' })
        .waitFor();
      expect(await page.locator('#qa-picked').isVisible()).toBe(true);
    }
    // Hidden: gone from every list.
    await mod
      .locator('#qa-list .qa-q', { hasText: 'Is rain expected?' })
      .locator('button', { hasText: 'Hide' })
      .click();
    for (const page of [ann, ben])
      await until(
        async () => !(await listed(page)).includes('Is rain expected?'),
        'hidden everywhere',
      );
  });
});
