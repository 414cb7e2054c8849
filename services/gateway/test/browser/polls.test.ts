import { describe, expect, it } from 'vitest';
import { SOON_MS, demoServer, joinDemo, launchBrowser } from './browser-harness.js';

describe('demo app in Chromium: polls', { timeout: 60_000 }, () => {
  it('a moderator opens a quiz from the console, viewers vote on live bars, the close reveals the answer', async () => {
    await using server = await demoServer(0, {
      ROAR_POLL_FLUSH_MS: '50',
      ROAR_POLL_RESULTS_MS: '200',
      ROAR_POLL_GRACE_MS: '200',
    });
    await using browser = await launchBrowser();
    const mod = await browser.page();
    const ben = await browser.page();
    const ann = await browser.page();
    await joinDemo(mod, server.httpUrl, { stream: 'quiz', name: 'Mia', role: 'moderator' });
    await joinDemo(ben, server.httpUrl, { stream: 'quiz', name: 'Ben' });
    await joinDemo(ann, server.httpUrl, { stream: 'quiz', name: 'Ann' });
    expect(await ben.locator('#poll').isHidden()).toBe(true);
    expect(await ben.locator('.poll-console').count()).toBe(0);

    await mod.bringToFront();
    await mod.fill('.poll-console input[name="question"]', 'Who hits the next six?');
    await mod.fill('.poll-console textarea[name="options"]', 'Kohli\nRizwan\nNobody');
    await mod.fill('.poll-console input[name="correct"]', '2');
    await mod.click('.poll-console button[type="submit"]');
    await mod.locator('.poll-status', { hasText: 'Poll opened' }).waitFor({ timeout: SOON_MS });

    await ben.bringToFront();
    await ben.locator('#poll .poll-question', { hasText: 'Who hits the next six?' }).waitFor({
      timeout: SOON_MS,
    });
    expect(await ben.locator('#poll .poll-option').count()).toBe(3);
    await ben.click('#poll .poll-option[data-option="1"]');
    await ben.locator('#poll .poll-option.mine[data-option="1"]').waitFor({ timeout: SOON_MS });
    await ann.bringToFront();
    await ann.locator('#poll .poll-option[data-option="0"]').click();
    // Live bars: each answer holds half of the two votes, on every page.
    for (const page of [ben, ann, mod]) {
      await page.bringToFront();
      await page.locator('#poll .poll-meta', { hasText: '2 votes' }).waitFor({ timeout: SOON_MS });
      expect(await page.locator('#poll .poll-percent').allTextContents()).toEqual([
        '50%',
        '50%',
        '0%',
      ]);
      const width = await page
        .locator('#poll .poll-option[data-option="1"] .poll-bar')
        .getAttribute('style');
      expect(width).toContain('50%');
    }

    await mod.bringToFront();
    await mod.click('.poll-console button[data-action="close-poll"]');
    await mod.locator('.poll-status', { hasText: 'Poll closed' }).waitFor({ timeout: SOON_MS });
    await ben.bringToFront();
    await ben.locator('#poll .poll-meta[data-state="closed"]').waitFor({ timeout: SOON_MS });
    expect(await ben.locator('#poll .poll-option.correct').getAttribute('data-option')).toBe('1');
    expect(await ben.locator('#poll .poll-option:enabled').count()).toBe(0);
  });
});
