import { describe, expect, it } from 'vitest';
import { parseEndpoints } from './endpoints.js';
import { EnvReader } from '@roar/runtime';
import { readWebhookSettings } from './settings.js';

const loadWebhooksConfig = (env: Record<string, string>) => readWebhookSettings(new EnvReader(env));

const secret = 'whsec-test-secret-of-at-least-32-chars';
const one = (fields: Record<string, unknown>) => [
  { id: 'app', url: 'https://app.example.com/roar', secret, events: ['chat.published'], ...fields },
];

describe('webhook endpoints', () => {
  it('takes https anywhere, http to loopback only unless allowed, and "*" for every type', () => {
    expect(parseEndpoints(one({}), false)[0]).toMatchObject({
      url: 'https://app.example.com/roar',
    });
    expect(parseEndpoints(one({ url: 'http://127.0.0.1:9/x' }), false)).toHaveLength(1);
    expect(() => parseEndpoints(one({ url: 'http://app.example.com/x' }), false)).toThrow(/https/);
    expect(parseEndpoints(one({ url: 'http://app.example.com/x' }), true)).toHaveLength(1);
    expect(parseEndpoints(one({ events: ['*'] }), false)[0]?.events).toContain('reactions.burst');
  });

  it('refuses bad URLs, unknown event types, weak secrets and repeated ids, naming the entry', () => {
    expect(() => parseEndpoints(one({ url: 'not a url' }), false)).toThrow(
      /endpoint 0 \(app\): url is not a URL/,
    );
    expect(() => parseEndpoints(one({ url: 'ftp://app.example.com/' }), false)).toThrow(/https/);
    expect(() => parseEndpoints(one({ url: 'https://u:p@app.example.com/' }), false)).toThrow(
      /credentials/,
    );
    expect(() => parseEndpoints(one({ events: ['chat.exploded'] }), false)).toThrow(
      /unknown event type "chat.exploded"/,
    );
    expect(() => parseEndpoints(one({ events: [] }), false)).toThrow(/non-empty/);
    expect(() => parseEndpoints(one({ secret: 'short' }), false)).toThrow(/32\+/);
    expect(() => parseEndpoints(one({ id: 'a b' }), false)).toThrow(/id must be/);
    expect(() => parseEndpoints([...one({}), ...one({})], false)).toThrow(/used twice/);
    expect(() => parseEndpoints({}, false)).toThrow(/array/);
  });

  it('config: names the variable, and refuses an ack wait shorter than the retry schedule', () => {
    expect(() => loadWebhooksConfig({ ROAR_WEBHOOK_ENDPOINTS: '[{' })).toThrow(
      /ROAR_WEBHOOK_ENDPOINTS/,
    );
    expect(() =>
      loadWebhooksConfig({
        ROAR_WEBHOOK_ENDPOINTS: JSON.stringify(one({ url: 'http://x.example/' })),
      }),
    ).toThrow(/ROAR_WEBHOOK_ENDPOINTS: endpoint 0 \(app\): url must be https/);
    expect(() => loadWebhooksConfig({ ROAR_WEBHOOK_ACK_WAIT_MS: '60000' })).toThrow(
      /ROAR_WEBHOOK_ACK_WAIT_MS/,
    );
    expect(
      loadWebhooksConfig({ ROAR_WEBHOOK_ENDPOINTS: JSON.stringify(one({})) }).endpoints,
    ).toHaveLength(1);
  });
});
