import type { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { token } from '../harness.js';
import { demoServer, joinDemo, launchBrowser, until } from './browser-harness.js';

describe('demo app in Chromium: under load', { timeout: 60_000 }, () => {
  it('shows the degradation level while the server is degraded, and hides it after', async () => {
    // An operator's admin token (dev login is on, so no admin API key may be configured).
    await using server = await demoServer(0);
    const admin = await token('ops', { roles: ['admin'] });
    await using browser = await launchBrowser();
    const page = await browser.page();
    await joinDemo(page, server.httpUrl, { stream: 'load', name: 'Asha' });
    const pin = (level: number | null) =>
      fetch(`${server.httpUrl}/admin/v1/degradation`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ level }),
      });
    expect((await pin(4)).status).toBe(200);
    await page.locator('#banner', { hasText: 'chat is read-only' }).waitFor();
    expect((await pin(null)).status).toBe(200);
    await page.locator('#banner').waitFor({ state: 'hidden' });
  });

  it('says chat is sampled when the stream chats faster than the budget', async () => {
    // A budget of one message a second per viewer: three chatty users are well over it.
    await using server = await demoServer(0, { ROAR_CHAT_BUDGET: '1' });
    await using browser = await launchBrowser();
    const page = await browser.page();
    await joinDemo(page, server.httpUrl, { stream: 'busy', name: 'Reader' });
    const talkers: TestClient[] = [];
    for (const user of ['t1', 't2', 't3']) talkers.push(await server.viewer('busy', { user }));
    const sampled = page.locator('#sampled', { hasText: 'Chat is sampled' });
    // The sampler reports over whole seconds: keep the chat going until the page says so.
    let n = 0;
    await until(async () => {
      await Promise.all(
        talkers.map((t) => t.request({ type: 'chat', stream: 'busy', text: `m${n++}` })),
      );
      return sampled.isVisible();
    }, 'the sampled indicator');
  });
});
