import { Chat, type ChatOptions } from './chat/chat.js';
import type { StreamFeature } from './feature.js';
import {
  ModerationCommands,
  type ModerationCommandsOptions,
} from './moderation-commands/moderation-commands.js';
import { Ping } from './ping/ping.js';
import { Qa, type QaOptions } from './qa/qa.js';
import { Polls, type PollsOptions } from './polls/polls.js';
import { Reactions, type ReactionsOptions } from './reactions/reactions.js';
import { FeatureRegistry } from './registry.js';
import { Widgets, type WidgetsOptions } from './widgets/widgets.js';

/** What the gateway hands its features; each constructor takes the slice it needs. */
export type FeatureDeps = ChatOptions &
  ReactionsOptions &
  ModerationCommandsOptions &
  WidgetsOptions &
  QaOptions &
  PollsOptions;

/**
 * Every stream feature of the gateway, one line each: adding a feature is its folder plus its
 * line here (and its options added to `FeatureDeps` when it needs something new).
 */
export function streamFeatures(d: FeatureDeps): StreamFeature[] {
  return [
    new Chat(d),
    new Reactions(d),
    new ModerationCommands(d),
    new Ping(),
    new Widgets(d),
    new Qa(d),
    new Polls(d),
  ];
}

/** The gateway's features, registered (see `FeatureRegistry`). */
export function buildFeatures(d: FeatureDeps): FeatureRegistry {
  return new FeatureRegistry(streamFeatures(d));
}
