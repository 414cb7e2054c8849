import { ErrorCode, ProtocolError } from './errors.js';
import { Limits } from './limits.js';
import type { PublicSettings } from './messages.js';
import { isCleanUnicode } from './text.js';
import { isPlainObject } from './validate-util.js';

/** A change to a stream's chat rules: public settings plus the two only moderators see. */
export type SettingsPatch = Partial<PublicSettings> & {
  /** Seconds viewers' messages wait (held) so moderators can remove them first; 0 = off. */
  holdS?: number;
  /** Terms refused in chat, matched after normalisation. */
  bannedTerms?: string[];
};

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
