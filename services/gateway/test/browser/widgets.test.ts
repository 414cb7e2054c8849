import { describe, expect, it } from 'vitest';
import { token } from '../harness.js';
import { demoServer, joinDemo, launchBrowser, until } from './browser-harness.js';

describe('demo app in Chromium: live widgets', { timeout: 60_000 }, () => {
  it('shows the score widget a backend sets, and a moderator edits it from the console', async () => {
    await using server = await demoServer();
    // The app backend, here as the broadcaster's token (dev login refuses API keys).
    const backend = await token('backend', { roles: ['broadcaster:match'] });
    await using browser = await launchBrowser();
    const put = (key: string, value: unknown): Promise<Response> =>
      fetch(`${server.httpUrl}/admin/v1/streams/match/state/${key}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${backend}`, 'content-type': 'application/json' },
        body: JSON.stringify({ value }),
      });
    // Set before anyone watches: the joiner's snapshot carries it.
    expect((await put('score', 'IND 120/3')).status).toBe(200);
    const fan = await browser.page();
    const mod = await browser.page();
    await joinDemo(fan, server.httpUrl, { stream: 'match', name: 'Fan' });
    await joinDemo(mod, server.httpUrl, { stream: 'match', name: 'Mia', role: 'moderator' });
    const value = (page: typeof fan, key: string) =>
      page.locator(`#widgets .widget-row[data-key="${key}"] .widget-value`);
    await value(fan, 'score').filter({ hasText: 'IND 120/3' }).waitFor();

    // A live update from the backend reaches the open page.
    expect((await put('over', 14.2)).status).toBe(200);
    await value(fan, 'over').filter({ hasText: '14.2' }).waitFor();

    // The moderator edits the score in the console; both pages show it.
    await mod.bringToFront();
    await mod.locator('#mod .widgets-panel').waitFor();
    await value(mod, 'score').filter({ hasText: 'IND 120/3' }).waitFor();
    await mod.fill('#mod input[name="widgetKey"]', 'score');
    await mod.fill('#mod input[name="widgetValue"]', 'IND 124/3');
    await mod.click('#mod .widget-editor button[type="submit"]');
    await mod.locator('#mod .widget-status', { hasText: 'score set to IND 124/3' }).waitFor();
    for (const page of [fan, mod])
      await value(page, 'score').filter({ hasText: 'IND 124/3' }).waitFor();

    // Deleting a key takes its row away everywhere.
    await mod.fill('#mod input[name="widgetKey"]', 'over');
    await mod.click('#mod button[data-action="delete-widget"]');
    await until(
      async () => (await fan.locator('#widgets .widget-row[data-key="over"]').count()) === 0,
      'over gone',
    );
    // A viewer has no editor.
    expect(await fan.locator('#mod .widgets-panel').count()).toBe(0);
  });

  it('the <roar-widget> overlay element shows one key and follows its changes', async () => {
    await using server = await demoServer();
    await using browser = await launchBrowser();
    const backend = await token('backend', { roles: ['broadcaster:ov'] });
    const put = (value: unknown): Promise<Response> =>
      fetch(`${server.httpUrl}/admin/v1/streams/ov/state/score`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${backend}`, 'content-type': 'application/json' },
        body: JSON.stringify({ value }),
      });
    expect((await put('0/0')).status).toBe(200);
    const page = await browser.page();
    // The overlay example page loads overlay.js, which defines <roar-widget> too.
    await page.goto(`${server.httpUrl}/overlay?stream=ov`);
    await page.evaluate(() => {
      const widget = document.createElement('roar-widget');
      widget.setAttribute('stream', 'ov');
      widget.setAttribute('key', 'score');
      widget.id = 'score';
      document.body.append(widget);
    });
    await page.locator('#score', { hasText: '0/0' }).waitFor();
    expect((await put({ runs: 6 })).status).toBe(200);
    await page.locator('#score', { hasText: '{"runs":6}' }).waitFor();
  });
});
