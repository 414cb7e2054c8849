import type { StreamFeature } from './feature.js';
import { Ping } from './ping/ping.js';
import { FeatureRegistry } from './registry.js';

/**
 * Every stream feature of the gateway, one line each: adding a feature is its folder plus its
 * line here. Each takes what it needs in its constructor.
 */
export function streamFeatures(): StreamFeature[] {
  return [new Ping()];
}

/** The gateway's features, registered (see `FeatureRegistry`). */
export function buildFeatures(): FeatureRegistry {
  return new FeatureRegistry(streamFeatures());
}
