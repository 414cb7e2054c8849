import { readFile, readdir } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonError, type HttpHandler } from '../base/http.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * Serves the files of one folder (the demo app, the overlay): `/` is `index.html`, `/name` is
 * `name.html` or `name`. Only names listed in the folder at start are served (no path is ever
 * joined from the request), and contents are read once.
 */
export async function staticFiles(folder: URL): Promise<HttpHandler> {
  const names = new Set(
    (await readdir(fileURLToPath(folder)).catch(() => [] as string[])).filter(
      (n) => TYPES[extname(n)],
    ),
  );
  const cache = new Map<string, Promise<Buffer>>();
  return async (req) => {
    const wanted = req.path === '/' ? 'index.html' : req.path.slice(1);
    const name = names.has(wanted)
      ? wanted
      : names.has(`${wanted}.html`)
        ? `${wanted}.html`
        : undefined;
    if (!name) return jsonError(404, 'not_found', `no route for GET ${req.path}`);
    let body = cache.get(name);
    if (!body) cache.set(name, (body = readFile(new URL(name, folder))));
    return {
      status: 200,
      headers: {
        'content-type': TYPES[extname(name)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
        'access-control-allow-origin': '*',
      },
      body: await body,
    };
  };
}
