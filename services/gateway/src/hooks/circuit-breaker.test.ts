import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after N failures in a row, lets one trial through after the cooldown', () => {
    const breaker = new CircuitBreaker({ failures: 3, cooldownMs: 1000 });
    expect(breaker.failed(0)).toBe(false);
    breaker.succeeded();
    expect(breaker.failed(0)).toBe(false);
    expect(breaker.failed(0)).toBe(false);
    expect(breaker.failed(10)).toBe(true);
    expect(breaker.allow(500)).toBe(false);
    expect(breaker.state(1010)).toBe('half-open');
    expect(breaker.allow(1010)).toBe(true);
    expect(breaker.allow(1010)).toBe(false);
    // The trial failed: open for another cooldown.
    expect(breaker.failed(1020)).toBe(true);
    expect(breaker.allow(1500)).toBe(false);
    expect(breaker.allow(2020)).toBe(true);
    breaker.succeeded();
    expect(breaker.state(2020)).toBe('closed');
    expect(breaker.allow(2020)).toBe(true);
  });
});
