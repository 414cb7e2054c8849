import { ErrorCode, ProtocolError } from './errors.js';
import { Limits } from './limits.js';
import type { PublicSettings } from './messages.js';
import { isCleanUnicode } from './text.js';
import { isPlainObject } from './validate-util.js';

/**
 * A stream's chat rules: what viewers are told (`PublicSettings`) and the two only moderators
 * see. The one definition of the shape: the store keeps (a partial) one per stream, the gateway
 * applies it, the admin API and moderator commands change it.
 */
export interface StreamSettings extends PublicSettings {
  /** Seconds non-moderators' messages are held before publishing, so moderators can remove them; 0 = off. */
  holdS: number;
  /** Terms refused in chat, matched after case folding and Unicode normalisation. */
  bannedTerms: string[];
}

/** A change to a stream's chat rules: any of its fields. */
export type SettingsPatch = Partial<StreamSettings>;

/**
 * The fields viewers are told, in the order they are sent. The compiler checks this list against
 * `PublicSettings` both ways, so a new public field cannot be left out of `publicSettings`.
 */
const PUBLIC_FIELDS = {
  chatEnabled: true,
  slowModeS: true,
  emoteOnly: true,
  subscribersOnly: true,
  followersOnly: true,
  uniqueChat: true,
  maxLength: true,
  reactions: true,
  reactionsEnabled: true,
  links: true,
} as const satisfies Record<keyof PublicSettings, true>;

/**
 * What viewers are told of `settings`: every public field (copied, so the result shares no array
 * with `settings`) and nothing else, neither the moderators' fields nor anything stored beside.
 */
export function publicSettings(settings: StreamSettings): PublicSettings {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(PUBLIC_FIELDS) as (keyof PublicSettings)[]) {
    const value = settings[field];
    out[field] = Array.isArray(value) ? [...value] : value;
  }
  return out as unknown as PublicSettings;
}

/** Bounds of each setting. */
export const SettingLimits = {
  slowModeMaxS: 86_400,
  holdMaxS: 600,
  reactionsMax: 20,
  bannedTermsMax: 500,
  bannedTermMaxChars: 64,
} as const;

function bad(field: string, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidField, `settings.${field} ${message}`);
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw bad(field, 'must be true or false');
  return v;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(field, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

function strings(
  v: unknown,
  field: string,
  maxItems: number,
  maxChars: number,
  minItems = 0,
): string[] {
  if (!Array.isArray(v) || v.length < minItems || v.length > maxItems) {
    throw bad(field, `must be an array of ${minItems}-${maxItems} strings`);
  }
  return v.map((item) => {
    if (
      typeof item !== 'string' ||
      item.trim().length === 0 ||
      [...item].length > maxChars ||
      !isCleanUnicode(item)
    ) {
      throw bad(field, `items must be non-empty strings of at most ${maxChars} characters`);
    }
    return item.trim();
  });
}

/**
 * Checks a settings change strictly (unknown fields, wrong types and out-of-range values are
 * `invalid_field`), shared by the admin API, moderator commands and the SDK.
 */
export function parseSettingsPatch(value: unknown): SettingsPatch {
  if (!isPlainObject(value)) throw bad('', 'must be an object');
  const out: SettingsPatch = {};
  for (const [key, v] of Object.entries(value)) {
    switch (key) {
      case 'chatEnabled':
      case 'emoteOnly':
      case 'subscribersOnly':
      case 'followersOnly':
      case 'uniqueChat':
      case 'reactionsEnabled':
        out[key] = bool(v, key);
        break;
      case 'slowModeS':
        out.slowModeS = int(v, key, 0, SettingLimits.slowModeMaxS);
        break;
      case 'holdS':
        out.holdS = int(v, key, 0, SettingLimits.holdMaxS);
        break;
      case 'maxLength':
        out.maxLength = int(v, key, 1, Limits.chatMaxChars);
        break;
      case 'reactions':
        out.reactions = strings(v, key, SettingLimits.reactionsMax, Limits.emojiMaxChars, 1);
        break;
      case 'bannedTerms':
        out.bannedTerms = strings(
          v,
          key,
          SettingLimits.bannedTermsMax,
          SettingLimits.bannedTermMaxChars,
        );
        break;
      case 'links':
        if (v !== 'allow' && v !== 'block' && v !== 'moderators')
          throw bad(key, 'must be allow, block or moderators');
        out.links = v;
        break;
      default:
        throw bad(key.slice(0, 32), 'is not a setting');
    }
  }
  return out;
}
