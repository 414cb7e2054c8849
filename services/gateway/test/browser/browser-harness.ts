import { waitFor } from '@roar/testkit';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type TestServer } from '../harness.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Deadline for anything a page should do "soon": a message arriving, a count changing. */
export const SOON_MS = 10_000;

/**
 * Fast timers, dev login on (the demo's way in), and chat limits that a test typing a few
 * messages in a row does not hit. The JWT secret is fixed, so tokens survive a restart.
 */
const DEMO_ENV: Record<string, string> = {
  ROAR_DEV_LOGIN: 'true',
  ROAR_CHAT_BURST: '20',
  ROAR_CHAT_RATE: '20',
};

let bundled: Promise<unknown> | undefined;

/**
 * Builds public/app.js and public/overlay.js from the current sources, once per test file, so
 * the pages under test are never stale bundles from an older build. Must finish before a
 * gateway starts: it lists public/ once, at start.
 */
export function bundle(): Promise<unknown> {
  const script = fileURLToPath(new URL('../../scripts/bundle.mjs', import.meta.url));
  bundled ??= promisify(execFile)(process.execPath, [script, '--quiet']);
  return bundled;
}

/** The embedded server serving the demo, on `port` (0: any free port), with `env` on top. */
export async function demoServer(port = 0, env: Record<string, string> = {}): Promise<TestServer> {
  await bundle();
  return startServer({ ...DEMO_ENV, ROAR_PORT: String(port), ...env });
}

export interface TestBrowser extends AsyncDisposable {
  context: BrowserContext;
  /** A new tab; `dialogs` records any alert/confirm/prompt it opens (and dismisses them). */
  page(): Promise<Page & { dialogs: string[] }>;
}

/**
 * Chromium from the system (never downloaded), headless, with a fresh profile that is deleted
 * afterwards. Loopback only: the pages talk to the test's own server.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser tests need it (sudo apt-get install chromium)`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'roar-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 680 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Several pages share one browser: timers in background tabs (the SDK's reconnects) must
      // run on time. (Animation frames stay throttled there: tests bring a page to the front.)
      '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows',
      '--disable-renderer-backgrounding',
    ],
  });
  // Every wait and action fails within the same deadline as `until`, with Playwright's message.
  context.setDefaultTimeout(SOON_MS);
  return {
    context,
    async page() {
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      return Object.assign(page, { dialogs });
    },
    async [Symbol.asyncDispose]() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface Visitor {
  stream: string;
  name: string;
  role?: 'viewer' | 'moderator' | 'broadcaster' | 'subscriber';
}

/** Opens the demo, signs in through the join form and waits until chat can be typed. */
export async function joinDemo(page: Page, base: string, who: Visitor): Promise<void> {
  await page.bringToFront();
  await page.goto(`${base}/`);
  await page.fill('#stream', who.stream);
  await page.fill('#name', who.name);
  await page.selectOption('#role', who.role ?? 'viewer');
  await page.click('#join');
  await page.locator('#text:enabled').waitFor({ timeout: SOON_MS });
}

/** Types a message and sends it with Enter; waits until the box is cleared (the server's ack). */
export async function say(page: Page, text: string): Promise<void> {
  // Background tabs get about one animation frame a second, and actions wait for frames: act
  // on the page in front, as a person would.
  await page.bringToFront();
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
  await until(async () => (await page.inputValue('#text')) === '', `"${text}" acknowledged`);
}

/** The texts of the chat rows on a page, in order. */
export function chatTexts(page: Page): Promise<string[]> {
  return page.locator('#messages .msg .text').allTextContents();
}

/** Waits for `condition` against a deadline; the error names what never happened. */
export function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  return waitFor(condition, { timeoutMs: SOON_MS, intervalMs: 50, message: what });
}
