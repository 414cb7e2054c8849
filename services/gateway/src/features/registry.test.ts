import { EncodedEvent, ErrorCode, RoarError, type ReactRequest } from '@roar/protocol';
import type { AdminRoute } from '../moderation/admin-router.js';
import type { StreamState } from '../streams/stream-state.js';
import { describe, expect, it } from 'vitest';
import type { Session, Socket } from '../transport/socket.js';
import type { StreamFeature } from './feature.js';
import { Ping } from './ping/ping.js';
import { FeatureRegistry } from './registry.js';

const ws = {} as Socket;
const s = {} as Session;

/** A trivial feature, registered only here: it answers `react` with an ack naming the emoji. */
class Echo implements StreamFeature<'react'> {
  readonly name = 'echo';
  readonly requests = ['react'] as const;
  readonly subjects = ['echo'];
  readonly received: string[] = [];
  handle(request: ReactRequest): { type: 'ack'; ref: number; id: string } {
    if (request.emoji === '') throw new RoarError(ErrorCode.InvalidField, 'no emoji');
    return { type: 'ack', ref: request.ref ?? 0, id: request.emoji };
  }
  receive(): boolean {
    this.received.push('x');
    return true;
  }
}

describe('FeatureRegistry', () => {
  it('answers ping through the registered ping feature', () => {
    const features = new FeatureRegistry([new Ping()]);
    expect(features.handle({ type: 'ping', ref: 7 }, ws, s, 1234)).toEqual({
      type: 'pong',
      ref: 7,
      ts: 1234,
    });
    expect(features.handle({ type: 'ping' }, ws, s, 5)).toEqual({ type: 'pong', ts: 5 });
  });

  it('dispatches an extra feature by request type and subject kind', () => {
    const echo = new Echo();
    const features = new FeatureRegistry([new Ping(), echo]);
    const req: ReactRequest = { type: 'react', ref: 3, stream: 'x', emoji: '🔥' };
    expect(features.handle(req, ws, s, 0)).toEqual({ type: 'ack', ref: 3, id: '🔥' });
    expect(() => features.handle({ ...req, emoji: '' }, ws, s, 0)).toThrow(RoarError);
    expect(features.receiver('echo')).toBe(echo);
    expect(features.receiver('nothing')).toBeUndefined();
  });

  it('refuses a request type or a subject kind claimed twice', () => {
    const other = { name: 'other', requests: ['ping'] as const, handle: () => undefined };
    expect(() => new FeatureRegistry([new Ping(), other])).toThrow(/"ping".*other/);
    const echo = new Echo();
    const twin = Object.assign(new Echo(), { requests: [] as const, name: 'twin' });
    expect(() => new FeatureRegistry([echo, twin])).toThrow(/"echo".*twin/);
  });

  it('refuses a report without its cadence', () => {
    const half = { name: 'half', requests: [] as const, handle: () => undefined, report: () => {} };
    expect(() => new FeatureRegistry([half])).toThrow(/half needs both/);
  });

  it('refuses a request type nobody claimed with unknown_type', () => {
    const features = new FeatureRegistry([]);
    expect(() => features.handle({ type: 'ping' }, ws, s, 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.UnknownType }),
    );
  });

  it('opens a stream through every feature that loads, and gathers their join snapshots', async () => {
    const state = { id: 'match' } as StreamState;
    let release: () => void = () => {};
    const slow = {
      name: 'slow',
      requests: [] as const,
      handle: () => undefined,
      open: () => new Promise<void>((r) => (release = r)),
      joined: () => [EncodedEvent.of({ type: 'clear' })],
    };
    const quiet = {
      name: 'quiet',
      requests: [] as const,
      handle: () => undefined,
      joined: () => [],
    };
    const pin = EncodedEvent.of({ type: 'pin', message: null });
    const last = {
      name: 'last',
      requests: [] as const,
      handle: () => undefined,
      joined: () => [pin],
    };
    const features = new FeatureRegistry([new Ping(), slow, quiet, last]);
    let opened = false;
    void features.open(state).then(() => (opened = true));
    await Promise.resolve();
    expect(opened).toBe(false);
    release();
    await new Promise((r) => setImmediate(r));
    expect(opened).toBe(true);
    expect(
      features.joined(state, s, { type: 'join', stream: state.id })?.map((e) => e.event.type),
    ).toEqual(['clear', 'pin']);
    expect(
      new FeatureRegistry([new Ping()]).joined(state, s, { type: 'join', stream: state.id }),
    ).toBeUndefined();
  });

  it("gathers the features' admin routes, built with the router it is given, in order", () => {
    const made: string[] = [];
    const route: AdminRoute = (method, path) => {
      made.push(`${method} ${path}`);
      return { method, pattern: `/admin/v1${path}`, handler: () => ({ status: 204 }) };
    };
    const one = {
      name: 'one',
      requests: [] as const,
      handle: () => undefined,
      routes: (r: AdminRoute) => [r('get', '/one', async () => ({ status: 204 }))],
    };
    const two = {
      name: 'two',
      requests: [] as const,
      handle: () => undefined,
      routes: (r: AdminRoute) => [r('post', '/two', async () => ({ status: 204 }))],
    };
    const routes = new FeatureRegistry([one, new Ping(), two]).routes(route);
    expect(routes.map((r) => r.pattern)).toEqual(['/admin/v1/one', '/admin/v1/two']);
    expect(made).toEqual(['get /one', 'post /two']);
  });
});
