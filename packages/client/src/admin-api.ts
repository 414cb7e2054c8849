// Generated from docs/openapi.yaml by packages/client/scripts/gen-admin-api.mjs: do not edit.
// src/admin.test.ts fails when this file and the document disagree.

export type ScheduleRequest = {
  /** The toss: RFC 3339 with an offset, in the future. */
  startAt: string;
  /** When gateways start holding the stream; default ROAR_SCHEDULE_WARM_LEAD_S before startAt. */
  warmAt?: string;
  /** When the policy switches off and warm-up ends; default none (held 3 h after startAt). */
  endAt?: string | null;
  expectedViewers: number;
  policy?: SettingsPatch;
  /** Gateway ids (ROAR_GATEWAY_ID) that warm the stream (a process's id covers its worker threads, `<id>-<n>`); default every gateway. */
  gateways?: Array<string>;
};

export type ScheduledEvent = {
  stream: string;
  warmAt: string;
  startAt: string;
  endAt: string | null;
  expectedViewers: number;
  policy: SettingsPatch;
  gateways: Array<string>;
  phase: 'scheduled' | 'warming' | 'live' | 'ended';
  by: string;
  updatedAt: string;
};

export type WebhookEndpoint = {
  id: string;
  url: string;
  events: Array<
    | 'chat.published'
    | 'chat.deleted'
    | 'chat.cleared'
    | 'moderation.action'
    | 'viewers.sample'
    | 'reactions.burst'
  >;
  /** The last log position acknowledged (delivered or dead-lettered) */
  lastSeq: number;
  /** Events delivered since this process started */
  delivered: number;
  /** A batch is being retried now */
  failing: boolean;
  lastError: string | null;
  deadLetters: number;
};

export type WebhookReadiness = {
  /** The process's NATS connection is up */
  nats: boolean;
  /** The dead-letter journal is open */
  deadLetters: boolean;
  /** Per endpoint id, whether its feed has opened its consumer since the last (re)connect */
  feeds: { [key: string]: unknown };
  /** What is not ready, one sentence each; empty when ready */
  missing: Array<string>;
};

export type WebhookFailure = {
  id: string;
  endpoint: string;
  /** Events in the batch */
  events: number;
  firstSeq: number;
  lastSeq: number;
  /** The streams the batch touches (at most 100 listed) */
  streams: Array<string>;
  attempts: number;
  lastError: string;
  failedAt: string;
};

/** One event of the durable log, schema version 1 (docs/protocol.md, "The durable log"). `seq` increases within a stream (not densely); `ts` is when it happened (ms since the epoch). */
export type LogEvent = {
  v: 1;
  type:
    | 'chat.published'
    | 'chat.deleted'
    | 'chat.cleared'
    | 'moderation.action'
    | 'viewers.sample'
    | 'reactions.burst';
  id: string;
  stream: string;
  ts: number;
  seq: number;
  data: { [key: string]: unknown };
  [key: string]: unknown;
};

export type ReplayBucketRef = {
  from: number;
  to: number;
  /** no more events can land in it; only a deletion changes it (and its version) */
  final: boolean;
  version: number;
  /** the bucket at this version: GET it for an immutable, CDN-cacheable copy once final */
  url: string;
};

export type ReplayWindow = {
  stream: string;
  from: number;
  to: number;
  bucketMs: number;
  buckets: Array<ReplayBucketRef>;
  events?: Array<LogEvent>;
};

export type ReplayBucket = {
  stream: string;
  from: number;
  to: number;
  final: boolean;
  version: number;
  events: Array<LogEvent>;
};

export type AdminErrorBody = {
  error: {
    code: string;
    message: string;
    /** For `version_conflict`: the live-state key's current version (0: absent). */
    version?: number;
  };
};

/** Any JSON value of at most 1,024 bytes (compact UTF-8) and 8 levels deep; for `PATCH`, an object. Checked by the gateway (`state_value_too_large`, `invalid_field`). */
export type StateValue = { [key: string]: unknown };

/** Write only if the key is at this version (0 = only if it does not exist). */
export type StateVersion = number;

export type StateEntry = {
  version: number;
  /** When it was written (ms since the epoch). */
  ts: number;
  /** The value (JSON). */
  value: { [key: string]: unknown };
};

export type UserId = string;

/** Free text for the audit log; one line, no control characters or bidirectional overrides. */
export type ReasonText = string;

export type Reason = {
  /** Free text for the audit log; one line, no control characters or bidirectional overrides. */
  reason?: ReasonText;
};

export type BanRequest = {
  userId: UserId;
  /** Free text for the audit log; one line, no control characters or bidirectional overrides. */
  reason?: ReasonText;
  /** Makes the ban a timeout of this many seconds. */
  seconds?: number;
};

export type Ban = {
  userId: string;
  /** a stream id, or * for service-wide */
  scope: string;
  /** end of a timeout (ms since the epoch); null for a ban */
  until: number | null;
  reason: string;
  by: string;
  at: number;
};

export type UserRef = { id: string; name: string; roles?: Array<string> };

export type ChatEvent = {
  type: 'chat';
  id: string;
  ts: number;
  user: UserRef;
  text: string;
  /** the accepting gateway instance and its epoch for the stream (see docs/protocol.md, positions) */
  origin?: string;
  /** the message's position among its origin's messages in the stream; a jump is a hole */
  seq?: number;
};

export type AnnouncementEvent = { type: 'announcement'; id: string; ts: number; text: string };

export type StreamSettings = {
  chatEnabled: boolean;
  slowModeS: number;
  emoteOnly: boolean;
  /** only tokens with role subscriber:<stream> */
  subscribersOnly: boolean;
  /** only tokens with role follower:<stream> (or subscriber) */
  followersOnly: boolean;
  /** refuse repeats of a message sent in the last minute */
  uniqueChat: boolean;
  /** viewers' messages wait this long, so moderators can remove them first */
  holdS: number;
  maxLength: number;
  reactions: Array<string>;
  reactionsEnabled: boolean;
  bannedTerms: Array<string>;
  links: 'allow' | 'block' | 'moderators';
};

export type SettingsPatch = {
  chatEnabled?: boolean;
  slowModeS?: number;
  emoteOnly?: boolean;
  subscribersOnly?: boolean;
  followersOnly?: boolean;
  uniqueChat?: boolean;
  holdS?: number;
  maxLength?: number;
  reactions?: Array<string>;
  reactionsEnabled?: boolean;
  bannedTerms?: Array<string>;
  links?: 'allow' | 'block' | 'moderators';
};

export type ViewerCount = {
  total: number;
  text: string;
  uniques?: number;
  /** highest total that held through a window in which no gateway could be counted twice */
  peak?: number;
  /** true when the aggregator has been silent for 15 count intervals: the last figures known, kept rather than shown as 0 */
  stale?: boolean;
  [key: string]: unknown;
};

export type StreamStats = {
  stream: string;
  viewers: ViewerCount;
  /** chat messages per second over the whole cluster (null until measured) */
  chatPerS: number | null;
  reactionsPerS: number | null;
  /** fraction of chat each viewer receives (1 = all) */
  sampling: number | null;
};

export type AuditEntry = {
  id: string;
  at: number;
  scope: string;
  actor: string;
  action:
    | 'delete'
    | 'clear'
    | 'pin'
    | 'unpin'
    | 'announce'
    | 'ban'
    | 'timeout'
    | 'unban'
    | 'settings'
    | 'approve'
    | 'deny'
    | 'level'
    | 'restore'
    | 'schedule'
    | 'unschedule'
    | 'state.delete'
    | 'qa_open'
    | 'qa_close'
    | 'qa_hide'
    | 'qa_show'
    | 'qa_answer'
    | 'qa_pick'
    | 'qa_unpick'
    | 'poll_open'
    | 'poll_close';
  target?: string;
  reason?: string;
  details?: { [key: string]: unknown };
};

export type HeldMessage = { id: string; at: number; reason: string; message: ChatEvent };

export type QuestionId = string;

export type QaQuestion = {
  id: QuestionId;
  user: UserRef;
  text: string;
  /** when it was asked (ms since the epoch) */
  ts: number;
  upvotes: number;
  answered?: boolean;
};

export type QaBoard = {
  /** grows with every change; 0 for a stream that never had a Q&A */
  rev: number;
  /** time of the last change (ms since the epoch) */
  ts: number;
  open: boolean;
  top: Array<QaQuestion>;
  picked: QaQuestion | null;
};

export type PollSpec = {
  question: string;
  /** The answers, in display order, all different; votes name them by index. */
  options: Array<string>;
  /** Closes by itself this long after opening; absent, open until closed. */
  durationS?: number;
  /** A quiz's right answer (an index into options), shown to viewers only at the close. */
  correct?: number;
  /** Voters may change their vote while it is open. */
  allowChange?: boolean;
  /** Viewers who are not signed in may vote, once per anonymous id (best effort: an id is a browser's, not a person's). */
  anonymous?: boolean;
};

export type Poll = {
  id: string;
  question: string;
  options: Array<string>;
  openedAt: number;
  /** When it closes by itself (ms since the epoch). */
  endsAt: number | null;
  /** When it was closed (never later than endsAt). */
  closedAt: number | null;
  correct: number | null;
  allowChange: boolean;
  anonymous: boolean;
  /** Who opened it: a user id, or key:<name> for an API key. */
  by: string;
  /** Exact votes per option. */
  votes: Array<number>;
  voters: number;
  /** The counts are frozen (the poll ended and the grace passed). */
  final: boolean;
  rev: number;
  /** Taking votes now. */
  open: boolean;
};

/** Every admin operation by its operationId: what it takes and what it answers on success. */
export interface AdminOperations {
  /** Delete one message. Every viewer on every gateway gets a `delete` event; the message leaves history (and the held queue). */
  deleteMessage: {
    input: {
      stream: string;
      id: string;
      query?: {
        /** Why, for the audit log. */
        reason?: ReasonText;
      };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { deleted: string };
  };
  /** Clear the chat. Removes every message of the stream from viewers' screens and from history. Viewers get a `clear` event. */
  clearChat: {
    input: {
      stream: string;
      body?: Reason;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { cleared: true };
  };
  /** Pin a message from the stream's history. Pins a message that is still in the stream's history; viewers (and later joiners) get a `pin` event with it. */
  pinMessage: {
    input: {
      stream: string;
      body: { messageId: string };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { pinned: ChatEvent };
  };
  /** Unpin. Removes the pinned message, if any; viewers get a `pin` event with `null`. */
  unpinMessage: {
    input: {
      stream: string;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { pinned: null };
  };
  /** Post an announcement (a system message such as a score update or a poll link). Sends a system message to every viewer of the stream. The text is one line of at most 500 characters: control characters, line breaks and bidirectional overrides are refused with 400. */
  postAnnouncement: {
    input: {
      stream: string;
      body: {
        /** One line; no control characters, line breaks or bidirectional overrides. */
        text: string;
      };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { announcement: AnnouncementEvent };
  };
  /** Time a user out in this stream. The user's sends are refused with `timed_out` on every gateway within a second, until the timeout ends. */
  timeoutUser: {
    input: {
      stream: string;
      body: {
        userId: UserId;
        seconds: number;
        /** Free text for the audit log; one line, no control characters or bidirectional overrides. */
        reason?: ReasonText;
      };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { ban: Ban };
  };
  /** List the stream's bans and running timeouts. Bans and running timeouts of this stream (service-wide bans are listed by `listGlobalBans`). */
  listBans: { input: { stream: string }; output: { bans: Array<Ban> } };
  /** Ban a user from this stream (with `seconds`, a timeout). The user can no longer chat or react in this stream, on every gateway within a second. With `seconds` it is a timeout that ends by itself. */
  banUser: {
    input: {
      stream: string;
      body: BanRequest;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { ban: Ban };
  };
  /** Unban (or end a timeout) in this stream. Lifts a ban or ends a timeout in this stream; 404 if the user is not banned here. */
  unbanUser: {
    input: {
      stream: string;
      userId: UserId;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { unbanned: string };
  };
  /** List service-wide bans (admin). Service-wide bans in force. Needs the `admin` role or an API key. */
  listGlobalBans: { input: Record<string, never>; output: { bans: Array<Ban> } };
  /** Ban a user everywhere (admin). Bans a user from every stream. Needs the `admin` role or an API key. */
  banUserGlobally: {
    input: {
      body: BanRequest;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { ban: Ban };
  };
  /** Lift a service-wide ban (admin). Lifts a service-wide ban; 404 if there is none. */
  unbanUserGlobally: {
    input: {
      userId: UserId;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { unbanned: string };
  };
  /** The stream's chat rules in force. Every chat rule of the stream as it is in force now (defaults for rules never set). */
  getSettings: { input: { stream: string }; output: { settings: StreamSettings } };
  /** Change some of the stream's chat rules. Fields left out keep their value. Viewers get a `settings` event with the public part. */
  updateSettings: {
    input: {
      stream: string;
      body: SettingsPatch;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { settings: StreamSettings };
  };
  /** Viewers, uniques, peak, chat and reaction rates, and sampling. What the stream looks like now across the cluster; 404 for a stream no gateway has seen. */
  getStreamStats: { input: { stream: string }; output: StreamStats };
  /** The stream's audit log, newest first. Every moderation action on this stream: who, what, on whom, when and why. Page with `before`. */
  getAudit: {
    input: {
      stream: string;
      query?: {
        limit?: number;
        /** An audit entry id; returns older entries. */
        before?: string;
      };
    };
    output: { entries: Array<AuditEntry> };
  };
  /** The service-wide audit log (admin). Service-wide actions (global bans, degradation pins). Needs the `admin` role or an API key. Besides moderators' actions it holds `restore` entries (actor `gateway:<id>`): a gateway found that Redis had lost its data and wrote back the bans and rules it knew. */
  getGlobalAudit: {
    input: {
      query?: {
        limit?: number;
        /** An audit entry id; returns older entries. */
        before?: string;
      };
    };
    output: { entries: Array<AuditEntry> };
  };
  /** Messages waiting for a moderator, oldest first. Messages held for review (by `holdS` or automod) that no moderator has approved or denied yet. */
  listHeld: { input: { stream: string }; output: { held: Array<HeldMessage> } };
  /** Publish a held message. Publishes a held message to every viewer now; 404 if it was already decided or expired. */
  approveHeld: {
    input: {
      stream: string;
      id: string;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { approved: ChatEvent };
  };
  /** Drop a held message. Drops a held message; its sender is not told. */
  denyHeld: {
    input: {
      stream: string;
      id: string;
      body?: Reason;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { denied: string };
  };
  /** This gateway's degradation level, and the pinned level if any (admin). The degradation ladder of the gateway that answers (0 = full service, 5 = read-only chat), and the level pinned by an operator, if any. Needs the `admin` role or an API key. */
  getDegradation: {
    input: Record<string, never>;
    output: { level: number; pinned: number | null };
  };
  /** Pin every gateway's degradation level, or unpin with null (admin). Pins every gateway's ladder at a level (for a known storm), or lets it follow load again with `null`. Needs the `admin` role or an API key. */
  setDegradation: {
    input: {
      body: { level: number | null };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { pinned: number | null };
  };
  /** Every scheduled event, by start time (admin). Every stream's scheduled event with its phase now (`scheduled`, `warming`, `live` or `ended`). Needs the `admin` role or an API key. */
  listSchedule: { input: Record<string, never>; output: { events: Array<ScheduledEvent> } };
  /** A stream's scheduled event (admin). The stream's scheduled event, or 404 when none is. Needs the `admin` role or an API key. */
  getSchedule: { input: { stream: string }; output: { event: ScheduledEvent } };
  /** Schedule a stream's event, or change it (admin). Puts the stream's event on the calendar (201), or replaces the one there (200). From `warmAt` (default `ROAR_SCHEDULE_WARM_LEAD_S` before `startAt`; a time already past means now) every gateway, or those in `gateways`, holds the stream as if a viewer had joined, counting nobody; `GET /v1/scale` and `roar_scheduled_*` ramp to `expectedViewers` ahead of `startAt`; at `startAt` the `policy` is applied to the stream's chat rules and at `endAt` its fields go back to the defaults, both through the settings path (audited as `schedule:<gateway>`, told to viewers). Refused with 400 (`invalid_field`, naming the field): a `startAt` not in the future or more than a year ahead, `warmAt` after `startAt` or more than 12 h before it, `endAt` not after `startAt` or more than 24 h after it, `expectedViewers` outside 1–100,000,000, a bad policy. Audited (`schedule`) in the stream's log. Needs the `admin` role or an API key. */
  putSchedule: {
    input: {
      stream: string;
      body: ScheduleRequest;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { event: ScheduledEvent };
  };
  /** Cancel a stream's scheduled event (admin). Takes the event off the calendar; gateways stop holding the stream for it within a second (it lingers like any stream once it has no viewers) and the scale signal drops it. A policy already switched on stays until a moderator changes it. Audited (`unschedule`). Needs the `admin` role or an API key. */
  cancelSchedule: {
    input: {
      stream: string;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { cancelled: string };
  };
  /** The stream's live state. Every live key of the stream's live state with its version and write time, read from the store. `version` is the stream's state version (0: no state). */
  getState: {
    input: { stream: string };
    output: { version: number; keys: { [key: string]: unknown } };
  };
  /** Set one key of the live state. Replaces the key's value (creating the key). Viewers get the new value within a tick (latest value only: a key set many times within a tick is sent once). With `ifVersion` the write happens only if the key is at that version (0: only if it does not exist); otherwise 409 `version_conflict` with the current `version`. With an `Idempotency-Key` (remembered for the stream's newest 256 writes) a retry is answered with the first attempt's result and `replayed: true`, and writes nothing. Limits: a value is at most 1,024 bytes of JSON, 8 levels deep (413 `state_value_too_large`); a stream holds at most 32 keys (409 `state_too_many_keys`). Needs the moderator or broadcaster role of the stream, admin, or an API key. */
  setStateKey: {
    input: {
      stream: string;
      key: string;
      body: {
        /** Any JSON value of at most 1,024 bytes (compact UTF-8) and 8 levels deep; for `PATCH`, an object. Checked by the gateway (`state_value_too_large`, `invalid_field`). */
        value: StateValue;
        /** Write only if the key is at this version (0 = only if it does not exist). */
        ifVersion?: StateVersion;
      };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: {
      key: string;
      /** The key's version now: its compare-and-set token. */
      version: number;
      replayed: boolean;
    };
  };
  /** Delete one key of the live state. Deletes the key (404 when it does not exist); viewers get it as deleted. `ifVersion` (here a query parameter), `Idempotency-Key` and rights as for `PUT`. Deletes are recorded in the audit log (`state.delete`). */
  deleteStateKey: {
    input: {
      stream: string;
      key: string;
      query?: { ifVersion?: StateVersion };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: {
      key: string;
      /** The key's version now: its compare-and-set token. */
      version: number;
      replayed: boolean;
    };
  };
  /** Merge into one key of the live state. Merges an object into the key's value (RFC 7386 JSON merge patch: a `null` member removes that member), creating the key when absent. Without `ifVersion` the merge retries by itself when another write lands between its read and its write; with it, it is conditional as for `PUT`. Idempotency, limits and rights as for `PUT`. */
  patchStateKey: {
    input: {
      stream: string;
      key: string;
      body: {
        /** Any JSON value of at most 1,024 bytes (compact UTF-8) and 8 levels deep; for `PATCH`, an object. Checked by the gateway (`state_value_too_large`, `invalid_field`). */
        value: StateValue;
        /** Write only if the key is at this version (0 = only if it does not exist). */
        ifVersion?: StateVersion;
      };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: {
      key: string;
      /** The key's version now: its compare-and-set token. */
      version: number;
      replayed: boolean;
    };
  };
  /** The stream's Q&A board: the top questions and the picked one. The board as viewers get it (top `ROAR_QA_TOP_N` visible, unanswered questions by upvotes, ties newest first), read from the store. Needs the moderator or broadcaster role of the stream, or admin. */
  getQaBoard: { input: { stream: string }; output: { board: QaBoard } };
  /** Questions a moderator reviews, held or hidden. `state=held`: questions the before-publish check held (they reach the board once shown); `state=hidden`: questions a moderator hid. Oldest first. Show one with the `show` action. */
  listQaQuestions: {
    input: { stream: string; query?: { state?: 'held' | 'hidden'; limit?: number } };
    output: { questions: Array<QaQuestion> };
  };
  /** Open or close the Q&A, or hide, show, answer, pick or unpick a question. Applied in the store, written to the audit log (`qa_<type>`), and the board after it is sent to every viewer on every gateway at once: a hidden question vanishes, a picked one is highlighted. `open`, `close` and `unpick` take no `id`; the others need one. Picking a hidden or held question is refused with 400 `question_hidden`; an unknown id is 404. */
  postQaAction: {
    input: {
      stream: string;
      body: {
        type: 'open' | 'close' | 'hide' | 'show' | 'answer' | 'pick' | 'unpick';
        id?: QuestionId;
      };
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { board: QaBoard };
  };
  /** Open a poll (or a quiz) on a stream. Opens a poll: a question and 2-6 answers, optionally closing by itself after `durationS` seconds, optionally a quiz whose right answer (`correct`) viewers see only when it closes. Viewers vote over WebSocket (`vote`), one vote per signed-in user (per anonymous id when `anonymous` is true, best effort). One poll at a time per stream: 409 `poll_open` while another is open. Needs the moderator or broadcaster role of the stream, admin, or an API key. */
  openPoll: {
    input: {
      stream: string;
      body: PollSpec;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { poll: Poll };
  };
  /** The stream's newest poll, open or closed, with its exact counts. The poll viewers of the stream see (open, counting or closed), with the exact counts so far. Needs the moderator or broadcaster role of the stream, admin, or an API key. */
  getCurrentPoll: { input: { stream: string }; output: { poll: Poll } };
  /** One poll by id, open or closed (kept 7 days after its last vote). A poll of the stream by its id, with its exact counts; results stay readable after the close. Needs the moderator or broadcaster role of the stream, admin, or an API key. */
  getPoll: { input: { stream: string; poll: string }; output: { poll: Poll } };
  /** Close a poll now. Stops the voting; viewers see the poll as `counting`, then, once votes still on their way have been counted (`ROAR_POLL_GRACE_MS`), the final result (with a quiz's answer). Closing a closed poll changes nothing. */
  closePoll: {
    input: {
      stream: string;
      poll: string;
      /** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */
      idempotencyKey?: string;
    };
    output: { poll: Poll };
  };
}

/** How each operation is called: method, path template, success status, body and query. */
export const ADMIN_OPERATIONS = {
  deleteMessage: {
    method: 'DELETE',
    path: '/admin/v1/streams/{stream}/messages/{id}',
    status: 200,
    body: 'none',
    query: ['reason'],
  },
  clearChat: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/clear',
    status: 200,
    body: 'optional',
    query: [],
  },
  pinMessage: {
    method: 'PUT',
    path: '/admin/v1/streams/{stream}/pin',
    status: 200,
    body: 'required',
    query: [],
  },
  unpinMessage: {
    method: 'DELETE',
    path: '/admin/v1/streams/{stream}/pin',
    status: 200,
    body: 'none',
    query: [],
  },
  postAnnouncement: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/announcements',
    status: 201,
    body: 'required',
    query: [],
  },
  timeoutUser: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/timeouts',
    status: 201,
    body: 'required',
    query: [],
  },
  listBans: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/bans',
    status: 200,
    body: 'none',
    query: [],
  },
  banUser: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/bans',
    status: 201,
    body: 'required',
    query: [],
  },
  unbanUser: {
    method: 'DELETE',
    path: '/admin/v1/streams/{stream}/bans/{userId}',
    status: 200,
    body: 'none',
    query: [],
  },
  listGlobalBans: { method: 'GET', path: '/admin/v1/bans', status: 200, body: 'none', query: [] },
  banUserGlobally: {
    method: 'POST',
    path: '/admin/v1/bans',
    status: 201,
    body: 'required',
    query: [],
  },
  unbanUserGlobally: {
    method: 'DELETE',
    path: '/admin/v1/bans/{userId}',
    status: 200,
    body: 'none',
    query: [],
  },
  getSettings: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/settings',
    status: 200,
    body: 'none',
    query: [],
  },
  updateSettings: {
    method: 'PATCH',
    path: '/admin/v1/streams/{stream}/settings',
    status: 200,
    body: 'required',
    query: [],
  },
  getStreamStats: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/stats',
    status: 200,
    body: 'none',
    query: [],
  },
  getAudit: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/audit',
    status: 200,
    body: 'none',
    query: ['limit', 'before'],
  },
  getGlobalAudit: {
    method: 'GET',
    path: '/admin/v1/audit',
    status: 200,
    body: 'none',
    query: ['limit', 'before'],
  },
  listHeld: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/held',
    status: 200,
    body: 'none',
    query: [],
  },
  approveHeld: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/held/{id}/approve',
    status: 200,
    body: 'none',
    query: [],
  },
  denyHeld: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/held/{id}/deny',
    status: 200,
    body: 'optional',
    query: [],
  },
  getDegradation: {
    method: 'GET',
    path: '/admin/v1/degradation',
    status: 200,
    body: 'none',
    query: [],
  },
  setDegradation: {
    method: 'PUT',
    path: '/admin/v1/degradation',
    status: 200,
    body: 'required',
    query: [],
  },
  listSchedule: { method: 'GET', path: '/admin/v1/schedule', status: 200, body: 'none', query: [] },
  getSchedule: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/schedule',
    status: 200,
    body: 'none',
    query: [],
  },
  putSchedule: {
    method: 'PUT',
    path: '/admin/v1/streams/{stream}/schedule',
    status: 200,
    body: 'required',
    query: [],
  },
  cancelSchedule: {
    method: 'DELETE',
    path: '/admin/v1/streams/{stream}/schedule',
    status: 200,
    body: 'none',
    query: [],
  },
  getState: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/state',
    status: 200,
    body: 'none',
    query: [],
  },
  setStateKey: {
    method: 'PUT',
    path: '/admin/v1/streams/{stream}/state/{key}',
    status: 200,
    body: 'required',
    query: [],
  },
  deleteStateKey: {
    method: 'DELETE',
    path: '/admin/v1/streams/{stream}/state/{key}',
    status: 200,
    body: 'none',
    query: ['ifVersion'],
  },
  patchStateKey: {
    method: 'PATCH',
    path: '/admin/v1/streams/{stream}/state/{key}',
    status: 200,
    body: 'required',
    query: [],
  },
  getQaBoard: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/qa',
    status: 200,
    body: 'none',
    query: [],
  },
  listQaQuestions: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/qa/questions',
    status: 200,
    body: 'none',
    query: ['state', 'limit'],
  },
  postQaAction: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/qa/actions',
    status: 200,
    body: 'required',
    query: [],
  },
  openPoll: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/polls',
    status: 201,
    body: 'required',
    query: [],
  },
  getCurrentPoll: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/polls/current',
    status: 200,
    body: 'none',
    query: [],
  },
  getPoll: {
    method: 'GET',
    path: '/admin/v1/streams/{stream}/polls/{poll}',
    status: 200,
    body: 'none',
    query: [],
  },
  closePoll: {
    method: 'POST',
    path: '/admin/v1/streams/{stream}/polls/{poll}/close',
    status: 200,
    body: 'none',
    query: [],
  },
} as const;

export type AdminOperationId = keyof AdminOperations;
