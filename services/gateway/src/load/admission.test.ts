import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';
import { GatewayMetrics } from '../base/metrics.js';

function admission(lingerMs: number): Admission {
  const options = { ratePerS: 1000, burst: 1000, maxConnections: 100, maxPerIp: 2, retryAfterS: 1 };
  return new Admission({ ...options, lingerMs }, new GatewayMetrics(), 0);
}

describe('Admission', () => {
  it('counts an aborted socket against its address until its linger time has passed', () => {
    const a = admission(1000);
    a.opened('1.2.3.4');
    a.opened('1.2.3.4');
    expect(a.check('1.2.3.4', 0)).toMatchObject({ ok: false, reason: 'max_per_ip' });
    // One is aborted as a slow consumer: the kernel may still hold it.
    a.lingering('1.2.3.4', 100);
    a.closedConnection('1.2.3.4');
    expect(a.check('1.2.3.4', 500)).toMatchObject({ ok: false, reason: 'max_per_ip' });
    expect(a.check('5.6.7.8', 500)).toEqual({ ok: true });
    expect(a.lingeringCount).toBe(1);
    expect(a.check('1.2.3.4', 1100)).toEqual({ ok: true });
    expect(a.lingeringCount).toBe(0);
  });

  it('frees the slot at once with a linger time of 0', () => {
    const a = admission(0);
    a.opened('1.2.3.4');
    a.opened('1.2.3.4');
    a.lingering('1.2.3.4', 0);
    a.closedConnection('1.2.3.4');
    expect(a.check('1.2.3.4', 0)).toEqual({ ok: true });
  });
});
