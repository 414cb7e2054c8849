import type { TestClient } from '@roar/testkit';
import { beforeAll } from 'vitest';
import { adminClient } from './admin-client.js';
import { startServer, token } from './harness.js';
import { OpenApi } from './openapi.js';

export const API_KEY = 'ops-key-0123456789abcdef0123456789abcdef';

/** The admin API's document, loaded once per test file. */
export function useOpenApi(): () => OpenApi {
  let api: OpenApi | undefined;
  beforeAll(async () => {
    api = await OpenApi.load();
  });
  return () => {
    if (!api) throw new Error('the OpenAPI document is used before beforeAll ran');
    return api;
  };
}

/** An embedded server with an admin API key, a checked admin client and a moderator of `s`. */
export async function moderationSetup(api: OpenApi, env: Record<string, string> = {}) {
  const server = await startServer({ ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`, ...env });
  const call = adminClient(server.httpUrl, api);
  const modToken = await token('mod', { roles: ['moderator:s'] });
  return { server, call, modToken };
}

export const texts = (c: TestClient, stream = 's'): string[] =>
  c.eventsOf(stream, 'chat').map((e) => e.text);

export async function say(c: TestClient, text: string, stream = 's') {
  return c.request({ type: 'chat', stream, text });
}
