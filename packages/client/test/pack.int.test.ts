import { waitFor } from '@roar/testkit';
import { build } from 'esbuild';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startServer, token } from './gateway-server.js';

/**
 * What a web developer does with the published packages, from tarballs: `npm pack` the SDK, the
 * overlay and the protocol, install them into an empty project outside this workspace,
 * type-check a strict TypeScript file against the shipped declarations, bundle them for the
 * browser into a page that shows the count and the chat in Chromium, and run the README's Node
 * example against the same real gateway.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PACKAGES = ['protocol', 'client', 'overlay'] as const;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const CHROMIUM = '/usr/bin/chromium';

interface Packed {
  filename: string;
  name: string;
  version: string;
  files: { path: string }[];
}

/** `npm pack` of the three packages (each builds itself on `prepack`) into `into`. */
async function pack(into: string): Promise<Packed[]> {
  const workspaces = PACKAGES.flatMap((p) => ['-w', `packages/${p}`]);
  const { stdout } = await run(
    'npm',
    ['pack', ...workspaces, '--json', '--pack-destination', into],
    { cwd: ROOT, maxBuffer: 16 << 20 },
  );
  // Lifecycle output (prepack's tsc) may come before the JSON.
  return JSON.parse(stdout.slice(stdout.indexOf('['))) as Packed[];
}

/** The README's Node example, as written there. */
async function readmeNodeExample(): Promise<string> {
  const readme = await readFile(join(ROOT, 'packages/client/README.md'), 'utf8');
  const block = /```ts\n(\/\/ Node[^\n]*\n[\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('the README has no ```ts block starting with "// Node"');
  return block;
}

/**
 * Every ```ts block of the README but the Node example (run below; `ws` ships no types), each as
 * a module of its own, with the names a snippet leaves to the app declared in `snippets.d.ts`.
 */
async function readmeSnippets(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'packages/client/README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^ *```ts\n([\s\S]*?)^ *```/gm)].map((m) => m[1] ?? '');
  return blocks.filter((block) => !block.startsWith('// Node'));
}

/** What the README's snippets take from the app around them. */
const SNIPPET_GLOBALS = `declare const roar: import('@roar/client').RoarClient;
declare function fetchToken(): Promise<string>;
declare function fetchModToken(): Promise<string>;
declare function show(...args: unknown[]): void;
declare function render(...args: unknown[]): void;
declare function drawBars(...args: unknown[]): void;
declare function clearChat(): void;
declare const counter: HTMLElement;
declare const scoreEl: HTMLElement;
declare const liveButton: HTMLButtonElement;
declare const someoneElsesQuestionId: string;
declare const pollId: string;
declare const player: { programDateTime(): number };
`;

/** A strict consumer: every check on, and the shipped declarations checked too. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023', 'DOM'],
    types: [],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['app.ts'],
};

const APP_TS = `import { RoarClient, RoarClientError, CloseCode, type ChatEvent } from '@roar/client';
import { RoarClient as JsonClient } from '@roar/client/json';
import { Polls, type PollEvent } from '@roar/client/polls';
import { Qa } from '@roar/client/qa';
import { LiveStates } from '@roar/client/live-state';
import { replay } from '@roar/client/replay';
import { RoarViewersElement, formatWatching } from '@roar/overlay';
import { Subprotocol } from '@roar/protocol';

const roar = new RoarClient({ url: 'wss://roar.example.com/ws', token: async () => 'a.b.c' });
const light = new JsonClient({ url: 'wss://roar.example.com/ws', codec: 'json' });
const texts: string[] = [];
roar.on('chat', ({ event }: { event: ChatEvent }) => texts.push(event.user.name + event.text));
light.on('viewers', ({ viewers }) => texts.push(viewers.text));
// @ts-expect-error: not an event of the SDK, so the types are real (not any)
roar.on('no-such-event', () => undefined);
// The features' events are typed on their own objects, and only there.
new Polls(light).on('poll', ({ poll }: { poll: PollEvent }) => texts.push(poll.text));
new Qa(roar).on('qa', ({ top }) => texts.push(String(top.length)));
new LiveStates(roar).of('final-2026').on('change', ({ key }) => texts.push(key));
// @ts-expect-error: polls are not in the core's events
roar.on('poll', () => undefined);
export const dvr = replay(roar, 'final-2026', { position: () => Date.now() });
export async function send(): Promise<string> {
  try {
    const sent = await roar.sendChat('final-2026', 'hi');
    return sent.id;
  } catch (error) {
    return error instanceof RoarClientError ? error.code : 'unknown';
  }
}
const badge: RoarViewersElement = document.createElement('roar-viewers');
badge.setAttribute('stream', 'final-2026');
const total: number | undefined = badge.total;
export const shown = [formatWatching(1_234_567, 'en'), total, CloseCode, Subprotocol.json];
`;

/** A web developer's page: the overlay over nothing much, and a chat list from the JSON SDK. */
const PAGE_HTML = (gateway: string): string => `<!doctype html>
<html><head><meta charset="utf-8"><title>scratch</title>
<script type="module" src="/page.js"></script></head>
<body><roar-viewers stream="final-2026" server="${gateway}" lang="en"></roar-viewers>
<ol id="chat"></ol></body></html>`;

const PAGE_JS = (url: string): string => `import '@roar/overlay';
import { RoarClient } from '@roar/client/json';

const roar = new RoarClient({ url: ${JSON.stringify(url)} });
roar.on('chat', ({ event }) => {
  const row = document.createElement('li');
  row.textContent = event.user.name + ': ' + event.text;
  document.getElementById('chat').append(row);
});
await roar.connect();
await roar.join('final-2026');
const mark = document.createElement('span');
mark.id = 'joined';
document.body.append(mark);
`;

/** esbuild as a browser app's build would run it, resolving from the scratch project only. */
function bundle(app: string, contents: string) {
  return build({
    stdin: { contents, resolveDir: app, loader: 'js' },
    absWorkingDir: app,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
}

/** A static site on a free loopback port: another origin than the gateway's. */
async function serve(
  files: Record<string, { type: string; body: string }>,
): Promise<{ url: string } & AsyncDisposable> {
  const server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' });
    res.end(file?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the published packages, from tarballs, in an empty project', { timeout: 240_000 }, () => {
  it('install, type-check strictly, bundle a page that works in Chromium, run the README example', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'roar-pack-'));
    try {
      const packed = await pack(scratch);
      expect(packed.map((p) => p.name).sort()).toEqual([
        '@roar/client',
        '@roar/overlay',
        '@roar/protocol',
      ]);
      // Versions in step, and nothing but the build, the README and the licence shipped.
      expect(new Set(packed.map((p) => p.version)).size).toBe(1);
      for (const p of packed) {
        const paths = p.files.map((f) => f.path);
        expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']));
        expect(paths).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
        const stray = paths.filter(
          (path) =>
            !/^(dist\/.+|README\.md|LICENSE|package\.json)$/.test(path) ||
            /\.test\.|tsbuildinfo/.test(path),
        );
        expect(stray, p.name).toEqual([]);
      }

      // An empty project outside the workspace: the tarballs, and ws for Node 20's WebSocket.
      const app = join(scratch, 'app');
      await run('mkdir', ['-p', app]);
      await writeFile(
        join(app, 'package.json'),
        JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }),
      );
      // From npm's cache when it has them (CI without a network), else from the registry;
      // no install scripts (msgpackr's optional native part is not needed).
      await run(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          ...packed.map((p) => join(scratch, p.filename)),
          'ws@8',
        ],
        { cwd: app, maxBuffer: 16 << 20 },
      );

      // A strict TypeScript file against the shipped declarations.
      // ...and every snippet of the README but the Node one (run below), as written there.
      const snippets = await readmeSnippets();
      expect(snippets.length).toBeGreaterThanOrEqual(6);
      const snippetFiles = snippets.map((_, i) => `snippet-${i}.ts`);
      await writeFile(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          ...TSCONFIG,
          files: [...TSCONFIG.files, 'snippets.d.ts', ...snippetFiles],
        }),
      );
      await writeFile(join(app, 'app.ts'), APP_TS);
      await writeFile(join(app, 'snippets.d.ts'), SNIPPET_GLOBALS);
      for (const [i, snippet] of snippets.entries()) {
        // A module each (its own scope); the indentation of a list item's block is harmless.
        await writeFile(join(app, `snippet-${i}.ts`), `${snippet}\nexport {};\n`);
      }
      const tsc = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(tsc).toBe('');

      // Bundled for the browser from the installed packages (no workspace sources): the full
      // SDK with the overlay, and the JSON-only entry, which leaves msgpackr out.
      const inputs = async (contents: string): Promise<string[]> =>
        Object.keys((await bundle(app, contents)).metafile.inputs);
      const full = await inputs(
        `import '@roar/overlay'; export { RoarClient } from '@roar/client';`,
      );
      expect(full.some((path) => path.includes('node_modules/@roar/overlay/dist'))).toBe(true);
      expect(full.some((path) => path.includes('node_modules/msgpackr/'))).toBe(true);
      const json = await inputs(`export { RoarClient } from '@roar/client/json';`);
      expect(json.some((path) => path.includes('node_modules/@roar/client/dist'))).toBe(true);
      expect(json.some((path) => path.includes('msgpackr'))).toBe(false);
      // The features stay out of an app that does not import them, from the tarball too: no
      // byte of theirs in the output (esbuild lists the files it read, used or not).
      const included = async (contents: string): Promise<string[]> => {
        const { outputs } = (await bundle(app, contents)).metafile;
        return Object.values(outputs).flatMap((out) =>
          Object.entries(out.inputs)
            .filter(([, input]) => input.bytesInOutput > 0)
            .map(([path]) => path),
        );
      };
      const features = ['polls', 'qa', 'live-state', 'replay'].map((f) => `/dist/${f}.js`);
      const core = await included(`export { RoarClient } from '@roar/client/json';`);
      expect(core.filter((path) => features.some((f) => path.endsWith(f)))).toEqual([]);
      const withPolls = await included(`export { Polls } from '@roar/client/polls';`);
      expect(withPolls.some((path) => path.endsWith('@roar/client/dist/polls.js'))).toBe(true);

      // A page made of the installed packages, served from its own origin, in Chromium: the
      // overlay shows the count, the JSON client shows chat.
      await using server = await startServer();
      const gateway = new URL(server.url.replace(/^ws/, 'http')).origin;
      const pageJs = (await bundle(app, PAGE_JS(server.url))).outputFiles[0]?.text ?? '';
      await using site = await serve({
        '/': { type: 'text/html', body: PAGE_HTML(gateway) },
        '/page.js': { type: 'text/javascript', body: pageJs },
      });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(site.url);
        // Two viewers: the page's client and the overlay's own connection.
        await page.locator('roar-viewers [part="count"]', { hasText: '2 watching' }).waitFor({
          timeout: 20_000,
        });
        await page.locator('#joined').waitFor({ state: 'attached', timeout: 20_000 });

        // The README's Node example against the same gateway, with a real token.
        const example = await readmeNodeExample();
        expect(example).toContain("'ws://127.0.0.1:8080/ws'");
        await writeFile(
          join(app, 'example.mjs'),
          example.replace("'ws://127.0.0.1:8080/ws'", JSON.stringify(server.url)),
        );
        const child = spawn(process.execPath, ['example.mjs'], {
          cwd: app,
          env: { ...process.env, TOKEN: await token('readme-user') },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
        try {
          await waitFor(() => out.includes('readme-user: hello from Node'), {
            timeoutMs: 20_000,
            message: 'the example to print its own chat message',
          });
          // ...and the page, a second client, shows it too.
          await page
            .locator('#chat li', { hasText: 'readme-user: hello from Node' })
            .waitFor({ timeout: 20_000 });
        } finally {
          child.kill();
        }
        expect(out).not.toMatch(/Error/);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
