import { ErrorCode, RejectedError, validateChatText } from '@roar/protocol';
import { hasRole, type Identity } from '../../base/identity.js';
import type { BanList, StreamModeration } from './stream-moderation.js';
import { DUPLICATE_WINDOW_MS } from './stream-moderation.js';
import { fold, hasLink, isEmoteOnly, sameMessageKey } from './text-match.js';

/** Moderators, the broadcaster and admins: exempt from the chat modes, never from bans. */
export function isPrivileged(identity: Identity, stream: string): boolean {
  // Most chatters hold no role at all: nothing to parse.
  if (identity.roles.length === 0) return false;
  return ['admin', 'moderator', 'broadcaster'].some((role) => hasRole(identity, role, stream));
}

export interface ChatCheck {
  identity: Identity;
  stream: string;
  text: string;
  now: number;
  mod: StreamModeration;
  globalBans: BanList;
  /** Whether the sender is privileged here (`isPrivileged`), when the caller knows already. */
  privileged?: boolean;
  /** Takes `tokens` more from the sender's chat rate budget: the cost of a long normalised text. */
  charge(tokens: number): void;
}

/** One more token from the sender's budget per this many characters of normalised text. */
export const NORMALISED_CHARS_PER_TOKEN = 1000;

/** The verdict on a message that passed: the text to publish, and whether it waits first. */
export interface ChatPass {
  text: string;
  /** Held for the stream's non-moderator delay (seconds), 0 for none. */
  holdS: number;
  /**
   * `sameMessageKey(text)` when the checks computed it (not for privileged senders), so that
   * remembering the message does not compute it again (`StreamModeration.remember`).
   */
  key?: string;
}

/** How soon a viewer refused for rules still loading is told to try again. */
export const RULES_LOADING_RETRY_MS = 1000;

/**
 * The stream's rules, applied to one message, cheapest first (the rate limit ran before); each
 * refusal has its own code so the client can say why. The text checks (emote-only, links, banned
 * terms) come last and share one folding of the text, whose work is linear in its length and
 * charged to the sender beyond NORMALISED_CHARS_PER_TOKEN. Throws `RejectedError`.
 *
 * Fails closed: while the global bans or the stream's rules are not loaded from the store (Redis
 * unreachable, or a restarted Redis being restored), only privileged users may chat; everyone
 * else is refused `unavailable` with `retryAfterMs`, never let through on rules that may lack
 * their ban.
 */
export function checkChat(check: ChatCheck): ChatPass {
  const { identity, stream, text, now, mod, globalBans } = check;
  const userId = identity.userId ?? identity.key;
  const ban = globalBans.check(userId, now) ?? mod.bans.check(userId, now);
  if (ban) {
    if (ban.until === null)
      throw new RejectedError(ErrorCode.Banned, 'you are banned from this chat');
    throw new RejectedError(ErrorCode.TimedOut, 'you are timed out', {
      retryAfterMs: ban.until - now,
    });
  }
  const s = mod.settings;
  const privileged = check.privileged ?? isPrivileged(identity, stream);
  if (!privileged && (!globalBans.loaded || mod.provisional)) {
    throw new RejectedError(ErrorCode.Unavailable, 'chat rules are loading; try again', {
      retryAfterMs: RULES_LOADING_RETRY_MS,
    });
  }
  const clean = validateChatText(text, s.maxLength);
  if (privileged) return { text: clean, holdS: 0 };

  if (!s.chatEnabled)
    throw new RejectedError(ErrorCode.ChatDisabled, 'chat is off for this stream');
  if (s.subscribersOnly && !hasRole(identity, 'subscriber', stream)) {
    throw new RejectedError(ErrorCode.SubscribersOnly, 'chat is for subscribers only');
  }
  if (
    s.followersOnly &&
    !hasRole(identity, 'follower', stream) &&
    !hasRole(identity, 'subscriber', stream)
  ) {
    throw new RejectedError(ErrorCode.FollowersOnly, 'chat is for followers only');
  }
  const key = sameMessageKey(clean);
  const last = mod.lastMessage(identity.key, key, now);
  if (last.same && last.sinceMs < DUPLICATE_WINDOW_MS) {
    throw new RejectedError(ErrorCode.Duplicate, 'you just sent that');
  }
  if (s.uniqueChat && mod.seenRecently(key, now)) {
    throw new RejectedError(ErrorCode.Duplicate, 'that was just said: unique-chat mode is on');
  }
  if (s.slowModeS > 0 && last.sinceMs < s.slowModeS * 1000) {
    throw new RejectedError(ErrorCode.SlowMode, `slow mode: one message every ${s.slowModeS} s`, {
      retryAfterMs: s.slowModeS * 1000 - last.sinceMs,
    });
  }
  if (s.emoteOnly && !isEmoteOnly(clean))
    throw new RejectedError(ErrorCode.EmoteOnly, 'chat is emote-only');
  const links = s.links !== 'allow';
  if (!links && mod.terms.empty) return { text: clean, holdS: s.holdS, key };

  const folded = fold(clean);
  const extra = Math.floor(folded.length / NORMALISED_CHARS_PER_TOKEN);
  if (extra > 0) check.charge(extra);
  if (links && hasLink(clean, folded)) {
    throw new RejectedError(ErrorCode.LinkNotAllowed, 'links are not allowed here');
  }
  if (mod.terms.findFolded(folded) !== undefined) {
    throw new RejectedError(ErrorCode.BannedTerm, 'your message contains a blocked term');
  }
  return { text: clean, holdS: s.holdS, key };
}
