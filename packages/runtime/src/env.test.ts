import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from './env.js';

describe('EnvReader', () => {
  it('returns defaults for missing and blank values', () => {
    const env = new EnvReader({ ROAR_B: '  ' });
    expect(env.int('ROAR_A', 5, 0, 10)).toBe(5);
    expect(env.bool('ROAR_B', true)).toBe(true);
    expect(env.list('ROAR_C', ['x'])).toEqual(['x']);
  });

  it('parses values and names the variable when one is malformed', () => {
    const env = new EnvReader({
      ROAR_PORT: '80a',
      ROAR_ON: 'maybe',
      ROAR_MODE: 'x',
      ROAR_N: '3',
      ROAR_L: 'a, b,,c',
    });
    expect(() => env.int('ROAR_PORT', 1, 0, 65535)).toThrow(/ROAR_PORT must be an integer/);
    expect(() => env.bool('ROAR_ON', false)).toThrow(ConfigError);
    expect(() => env.oneOf('ROAR_MODE', 'a', ['a', 'b'])).toThrow(/ROAR_MODE must be one of a, b/);
    expect(() => env.int('ROAR_N', 1, 5, 9)).toThrow(/from 5 to 9/);
    expect(env.list('ROAR_L', [])).toEqual(['a', 'b', 'c']);
  });

  it('rejects ROAR_ variables nobody reads', () => {
    const env = new EnvReader({ ROAR_PORT: '1', ROAR_TYPO: '2', PATH: '/bin' });
    env.int('ROAR_PORT', 0, 0, 10);
    expect(() => env.rejectUnknown('ROAR_')).toThrow(/ROAR_TYPO/);
  });
});
