import type { SettingsPatch } from '@roar/protocol';
import type { StreamSettings } from '@roar/store';

/** The rules of a stream nobody has changed: from the gateway's configuration. */
export function defaultSettings(reactions: readonly string[]): StreamSettings {
  return {
    chatEnabled: true,
    slowModeS: 0,
    emoteOnly: false,
    subscribersOnly: false,
    followersOnly: false,
    uniqueChat: false,
    holdS: 0,
    maxLength: 500,
    reactions: [...reactions],
    reactionsEnabled: true,
    bannedTerms: [],
    links: 'allow',
  };
}

/** Defaults with a moderator's stored changes on top. */
export function effectiveSettings(
  defaults: StreamSettings,
  overrides: Partial<StreamSettings> | undefined,
): StreamSettings {
  return { ...defaults, ...(overrides ?? {}) };
}

/** What viewers are told: everything but the held-message delay and the banned terms. */
export { publicSettings } from '@roar/protocol';

/** Applies a validated patch to stored overrides. */
export function applyPatch(
  overrides: Partial<StreamSettings> | undefined,
  patch: SettingsPatch,
): Partial<StreamSettings> {
  return { ...(overrides ?? {}), ...patch };
}
