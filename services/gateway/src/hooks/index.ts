import type { Registry } from 'prom-client';
import { ConnectHook } from './connect-hook.js';
import { HookClient } from './hook-client.js';
import { HookMetrics, type HookName } from './hook-metrics.js';
import type { HookEndpointConfig, HooksConfig } from '../base/hooks-config.js';
import { JoinHook } from './join-hook.js';
import { PublishHook, PublishRules, type PublishCheck } from './publish-hook.js';

export { joinDenied, withStreamRoles, type JoinDecision } from './join-hook.js';
export type { PublishCheck, PublishInput, PublishResult } from './publish-hook.js';
export { ConnectHook, JoinHook };

/**
 * The app backend's hooks, each optional (docs/architecture.md, "Backend hooks"): `connect`
 * names the viewer from the app's session, `join` decides who may be in a stream, `publish`
 * checks (or rewrites) a viewer's message before it goes out. Undefined when not configured.
 */
export class BackendHooks {
  readonly connect: ConnectHook | undefined;
  readonly join: JoinHook | undefined;
  readonly publish: PublishCheck | undefined;

  constructor(config: HooksConfig, registry: Registry, now: () => number = Date.now) {
    const metrics = new HookMetrics(registry);
    const ttl = { defaultTtlS: config.defaultTtlS, maxTtlS: config.maxTtlS, now };
    const client = (hook: HookName, endpoint: HookEndpointConfig): HookClient =>
      new HookClient({
        hook,
        url: endpoint.url,
        timeoutMs: endpoint.timeoutMs,
        breakerFailures: config.breakerFailures,
        breakerCooldownMs: config.breakerCooldownMs,
        secret: config.secret,
        metrics,
        now,
      });
    const { connect, join, publish } = config;
    if (connect) {
      this.connect = new ConnectHook({
        client: client('connect', connect),
        fail: connect.fail,
        metrics,
        ttl,
        cacheMax: config.cacheMax,
        now,
      });
    }
    if (join) {
      this.join = new JoinHook({
        client: client('join', join),
        fail: join.fail,
        metrics,
        ttl,
        cacheMax: config.cacheMax,
        batchMs: config.joinBatchMs,
        batchMax: config.joinBatchMax,
        now,
      });
    }
    if (publish) {
      this.publish = new PublishHook({
        client: client('publish', publish),
        fail: publish.fail,
        metrics,
      });
    } else if (config.publishRules) {
      this.publish = new PublishRules();
    }
  }
}
