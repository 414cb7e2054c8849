import { waitFor } from '@roar/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusClosedError, type Bus, type BusStatus } from './bus.js';

/** Two clients of one broker, and the means to break it. */
export interface BusFixture {
  a: Bus;
  b: Bus;
  /** Stops the broker and starts it again; both clients must recover by themselves. */
  restartBroker(): Promise<void>;
  dispose(): Promise<void>;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * The behaviour every `Bus` implementation promises (see the `Bus` doc comment). Run once per
 * implementation with a factory of fresh fixtures; each test uses its own subject prefix.
 */
export function describeBusContract(name: string, factory: () => Promise<BusFixture>): void {
  describe(`Bus contract: ${name}`, () => {
    let fx: BusFixture;
    let prefix: string;
    let n = 0;

    beforeEach(async () => {
      fx = await factory();
      prefix = `t${Date.now().toString(36)}${(n++).toString(36)}`;
    });
    afterEach(async () => {
      await fx.dispose();
    });

    it('delivers a message to a subscriber on another connection, bytes intact', async () => {
      const got: [string, string][] = [];
      fx.b.subscribe(`${prefix}.x`, (p, s) => got.push([s, text(p)]));
      await fx.b.flush();
      fx.a.publish(`${prefix}.x`, bytes('hello'));
      fx.a.publish(`${prefix}.y`, bytes('not for you'));
      await waitFor(() => got.length === 1, { message: 'message delivered' });
      expect(got).toEqual([[`${prefix}.x`, 'hello']]);
    });

    it('carries headers beside the payload, and none when none were given', async () => {
      const got: [string, string | undefined, boolean][] = [];
      fx.b.subscribe(`${prefix}.h`, (p, _s, h) =>
        got.push([text(p), h?.get('traceparent'), h === undefined]),
      );
      await fx.b.flush();
      const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      fx.a.publish(`${prefix}.h`, bytes('with'), { traceparent: tp });
      fx.a.publish(`${prefix}.h`, bytes('without'));
      await waitFor(() => got.length === 2, { message: 'both messages delivered' });
      expect(got).toEqual([
        ['with', tp, false],
        ['without', undefined, true],
      ]);
    });

    it('matches * for one token and > for the rest', async () => {
      const star: string[] = [];
      const tail: string[] = [];
      fx.b.subscribe(`${prefix}.s.*.chat`, (_p, s) => star.push(s));
      fx.b.subscribe(`${prefix}.s.>`, (_p, s) => tail.push(s));
      await fx.b.flush();
      for (const s of [
        `${prefix}.s.a.chat`,
        `${prefix}.s.b.viewers`,
        `${prefix}.s.c.chat.x`,
        `${prefix}.s`,
      ]) {
        fx.a.publish(s, bytes('x'));
      }
      await waitFor(() => tail.length === 3 && star.length === 1, { message: 'wildcards matched' });
      await fx.a.flush();
      expect(star).toEqual([`${prefix}.s.a.chat`]);
      expect(tail.sort()).toEqual([
        `${prefix}.s.a.chat`,
        `${prefix}.s.b.viewers`,
        `${prefix}.s.c.chat.x`,
      ]);
    });

    it('keeps the order of one publisher on one subject', async () => {
      const got: number[] = [];
      fx.b.subscribe(`${prefix}.o`, (p) => got.push(Number(text(p))));
      await fx.b.flush();
      for (let i = 0; i < 2000; i++) fx.a.publish(`${prefix}.o`, bytes(String(i)));
      await waitFor(() => got.length === 2000, { message: 'all 2000 delivered' });
      expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    });

    it('delivers to the publisher itself and to every matching subscription once', async () => {
      let own = 0;
      let other = 0;
      fx.a.subscribe(`${prefix}.e`, () => own++);
      fx.b.subscribe(`${prefix}.e`, () => other++);
      fx.b.subscribe(`${prefix}.e`, () => other++);
      await Promise.all([fx.a.flush(), fx.b.flush()]);
      fx.a.publish(`${prefix}.e`, bytes('x'));
      await waitFor(() => own === 1 && other === 2, { message: 'each subscription got one' });
      await fx.a.flush();
      await fx.b.flush();
      expect([own, other]).toEqual([1, 2]);
    });

    it('stops delivering after unsubscribe, and unsubscribe is idempotent', async () => {
      const got: string[] = [];
      const sub = fx.b.subscribe(`${prefix}.u`, (p) => got.push(text(p)));
      await fx.b.flush();
      fx.a.publish(`${prefix}.u`, bytes('1'));
      await waitFor(() => got.length === 1, { message: 'first delivered' });
      sub.unsubscribe();
      sub.unsubscribe();
      await fx.b.flush();
      fx.a.publish(`${prefix}.u`, bytes('2'));
      // A marker on another subject proves the second message had its chance to arrive.
      let marker = false;
      fx.b.subscribe(`${prefix}.marker`, () => (marker = true));
      await fx.b.flush();
      fx.a.publish(`${prefix}.marker`, bytes('m'));
      await waitFor(() => marker, { message: 'marker delivered' });
      expect(got).toEqual(['1']);
    });

    it('runs handlers outside publish and isolates a throwing handler', async () => {
      const errors: unknown[] = [];
      fx.b.onError = (e) => errors.push(e);
      let delivered = 0;
      let inPublish = false;
      let ranInPublish = false;
      fx.b.subscribe(`${prefix}.h`, () => {
        throw new Error('handler bug');
      });
      fx.b.subscribe(`${prefix}.h`, () => {
        ranInPublish ||= inPublish;
        delivered++;
      });
      await fx.b.flush();
      inPublish = true;
      fx.a.publish(`${prefix}.h`, bytes('x'));
      inPublish = false;
      await waitFor(() => delivered === 1 && errors.length === 1, { message: 'error isolated' });
      expect(ranInPublish).toBe(false);
    });

    it('refuses to publish after close', async () => {
      const statuses: BusStatus[] = [];
      fx.a.onStatus((s) => statuses.push(s));
      await fx.a.close();
      expect(fx.a.connected).toBe(false);
      expect(() => fx.a.publish(`${prefix}.c`, bytes('x'))).toThrow(BusClosedError);
      expect(statuses.at(-1)).toEqual({ type: 'closed' });
    });

    it('survives a broker restart: reports it, resubscribes, delivers again', async () => {
      const statuses: BusStatus['type'][] = [];
      fx.b.onStatus((s) => statuses.push(s.type));
      const got: string[] = [];
      fx.b.subscribe(`${prefix}.r`, (p) => got.push(text(p)));
      await fx.b.flush();
      await fx.restartBroker();
      await waitFor(() => fx.a.connected && fx.b.connected, {
        timeoutMs: 15_000,
        message: 'reconnected',
      });
      await fx.b.flush();
      await waitFor(
        async () => {
          fx.a.publish(`${prefix}.r`, bytes('after'));
          await fx.a.flush();
          return got.includes('after');
        },
        { timeoutMs: 15_000, message: 'delivery after restart' },
      );
      expect(statuses).toContain('disconnected');
      expect(statuses).toContain('reconnected');
    });
  });
}
