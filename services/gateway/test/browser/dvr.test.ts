import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chatTexts, demoServer, joinDemo, launchBrowser, say, until } from './browser-harness.js';

/** Drags the DVR slider's thumb to `seconds` behind live with the mouse; returns where it landed. */
async function dragTo(page: Page, seconds: number): Promise<number> {
  const slider = page.locator('#dvr');
  const box = await slider.boundingBox();
  if (!box) throw new Error('the DVR slider is not laid out');
  const [min, max] = [-120, 0];
  const y = box.y + box.height / 2;
  const xOf = (v: number) => box.x + ((v - min) / (max - min)) * box.width;
  await page.mouse.move(xOf(0) - 4, y);
  await page.mouse.down();
  await page.mouse.move(xOf(-seconds), y, { steps: 8 });
  await page.mouse.up();
  return -Number(await slider.inputValue());
}

describe('demo DVR slider in Chromium', { timeout: 90_000 }, () => {
  it('drag back: the chat of that moment plays within a second; Live brings the live chat back', async () => {
    await using server = await demoServer(0, { ROAR_CHAT_RATE: '10', ROAR_CHAT_BURST: '10' });
    await using browser = await launchBrowser();
    const page = await browser.page();
    await joinDemo(page, server.httpUrl, { stream: 'dvr', name: 'Asha' });
    expect(await page.textContent('#dvr-time')).toBe('LIVE');
    await say(page, 'the toss');
    const tossAt = Date.now();
    // Time passes: the next message is from a later moment than the one we drag back to.
    await page.waitForTimeout(6500);
    await say(page, 'first ball');
    await until(async () => (await chatTexts(page)).includes('first ball'), 'live chat shown');

    const behind = await dragTo(page, 4);
    const draggedAt = Date.now();
    // The slider landed between the two messages (each second is a few pixels).
    expect(behind).toBeGreaterThan(0);
    expect(Date.now() - tossAt).toBeGreaterThan(behind * 1000);
    await until(async () => {
      const texts = await chatTexts(page);
      return texts.includes('the toss') && !texts.includes('first ball');
    }, 'the chat of that moment');
    expect(Date.now() - draggedAt).toBeLessThan(1000);
    expect(await page.textContent('#dvr-time')).toMatch(/^−0:0\d$/);
    // Played on from there, the later message comes at its moment.
    await until(async () => (await chatTexts(page)).includes('first ball'), 'played on');

    await page.click('#golive');
    expect(await page.textContent('#dvr-time')).toBe('LIVE');
    await say(page, 'back live');
    await until(async () => {
      const texts = await chatTexts(page);
      return texts.includes('back live') && texts.includes('first ball');
    }, 'the live chat again');
  });
});
