import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './config.js';
import { corsHeaders, originAllowed, parseAllowedOrigins } from './origins.js';

describe('ROAR_ALLOWED_ORIGINS', () => {
  it('parses origins and *, and refuses anything with a path, a slash or another scheme', () => {
    expect(parseAllowedOrigins(undefined)).toBeUndefined();
    expect(parseAllowedOrigins(' ')).toBeUndefined();
    expect(parseAllowedOrigins('https://a.example, http://localhost:5173')).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(parseAllowedOrigins('*')).toEqual(['*']);
    for (const bad of [
      'https://a.example/',
      'https://a.example/x',
      'a.example',
      'ftp://a.example',
    ]) {
      expect(() => parseAllowedOrigins(bad), bad).toThrow(/ROAR_ALLOWED_ORIGINS/);
    }
    expect(() => loadGatewayConfig({ ROAR_ALLOWED_ORIGINS: 'https://a.example/' })).toThrow(
      /ROAR_ALLOWED_ORIGINS/,
    );
    expect(loadGatewayConfig({ ROAR_ALLOWED_ORIGINS: 'https://a.example' }).allowedOrigins).toEqual(
      ['https://a.example'],
    );
  });

  it('lets listed, same-origin and Origin-less requests through', () => {
    const list = ['https://mods.example'];
    expect(originAllowed(list, 'https://mods.example', 'roar.example')).toBe(true);
    expect(originAllowed(list, 'https://evil.example', 'roar.example')).toBe(false);
    expect(originAllowed(list, 'https://roar.example', 'roar.example')).toBe(true);
    expect(originAllowed(list, 'https://roar.example', 'roar.example:443')).toBe(true);
    expect(originAllowed(list, 'http://roar.example:8080', 'roar.example')).toBe(false);
    expect(originAllowed(list, 'null', 'roar.example')).toBe(false);
    expect(originAllowed(list, undefined, 'roar.example')).toBe(true);
    expect(originAllowed(undefined, 'https://evil.example', 'roar.example')).toBe(true);
    expect(originAllowed(['*'], 'https://evil.example', 'roar.example')).toBe(true);
  });

  it('echoes an allowed origin with Vary, and only Vary otherwise', () => {
    const list = ['https://mods.example'];
    expect(corsHeaders(undefined, 'https://mods.example', 'x')).toEqual({});
    expect(corsHeaders(list, 'https://mods.example', 'x')).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://mods.example',
    });
    expect(corsHeaders(list, 'https://evil.example', 'x')).toEqual({ vary: 'Origin' });
    expect(corsHeaders(list, undefined, 'x')).toEqual({ vary: 'Origin' });
  });
});
