import { describe, expect, it } from 'vitest';
import { EnvReader } from './env.js';
import { readEventLogSettings } from './shared-settings.js';

const read = (env: Record<string, string>) => readEventLogSettings(new EnvReader(env), 'off');

describe('event log settings', () => {
  it('keeps one copy of the stream unless told, and takes 1 to 5 (JetStream’s bound)', () => {
    expect(read({}).replicas).toBe(1);
    expect(read({ ROAR_LOG: 'jetstream', ROAR_LOG_REPLICAS: '3' }).replicas).toBe(3);
    expect(read({ ROAR_LOG_REPLICAS: '5' }).replicas).toBe(5);
    for (const bad of ['0', '6', '2.5', 'three']) {
      expect(() => read({ ROAR_LOG_REPLICAS: bad }), bad).toThrow(
        `ROAR_LOG_REPLICAS must be an integer from 1 to 5 (got "${bad}")`,
      );
    }
  });
});
