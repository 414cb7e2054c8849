import { EnvReader } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import { readWebhookSettings } from './settings.js';

const read = (env: Record<string, string>) => readWebhookSettings(new EnvReader(env));

describe('webhook settings', () => {
  it('keeps one copy of the dead-letter stream unless told, and takes 1 to 5', () => {
    expect(read({}).deadLetterReplicas).toBe(1);
    expect(read({ ROAR_WEBHOOK_DEAD_REPLICAS: '3' }).deadLetterReplicas).toBe(3);
    for (const bad of ['0', '6', '-1', 'x']) {
      expect(() => read({ ROAR_WEBHOOK_DEAD_REPLICAS: bad }), bad).toThrow(
        `ROAR_WEBHOOK_DEAD_REPLICAS must be an integer from 1 to 5 (got "${bad}")`,
      );
    }
  });
});
