import { ErrorCode, ProtocolError } from './errors.js';
import { isCleanUnicode } from './text.js';
import { isPlainObject } from './validate-util.js';

// Polls and quizzes (issue 14): the wire shapes and their strict parsers. `validate.ts` calls
// `parseVote` and `parsePollCommand` for the `vote` and `poll` client messages; the admin API
// calls `parsePollSpec` on its body, so both paths accept exactly the same polls.

/** Hard limits of a poll. */
export const PollLimits = {
  minOptions: 2,
  maxOptions: 6,
  /** Characters (code points) of the question and of each option. */
  questionMaxChars: 200,
  optionMaxChars: 80,
  /** Shortest and longest duration of a poll that closes by itself. */
  minDurationS: 5,
  maxDurationS: 24 * 3600,
} as const;

/** Poll ids: 1–32 of `A–Z a–z 0–9 _ -`, assigned by the server when a poll opens. */
export const POLL_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export function isPollId(value: unknown): value is string {
  return typeof value === 'string' && POLL_ID_PATTERN.test(value);
}

/** What opening a poll asks for (admin API body, `poll` command's `open` action). */
export interface PollSpec {
  question: string;
  /** 2–6 answers, shown in this order; votes name them by index. */
  options: string[];
  /** Closes by itself this many seconds after opening; absent: open until closed. */
  durationS?: number;
  /** A quiz: the index of the right answer, revealed to viewers only when the poll closes. */
  correct?: number;
  /** A voter may change their vote while the poll is open; default false. */
  allowChange?: boolean;
  /** Viewers who are not signed in may vote (one vote per anonymous id, best effort); default false. */
  anonymous?: boolean;
}

/**
 * A poll's state as viewers see it: sent when it opens, at most once per results window while
 * votes change it, when it closes (`counting`) and with the final result (`closed`).
 */
export interface PollEvent {
  type: 'poll';
  id: string;
  question: string;
  options: string[];
  /**
   * When this state held on the server (ms since the epoch): the opening, the time of the
   * counts, or the end for `counting` and `closed`. The SDK holds the event until the player
   * reaches it (playback alignment), so results never run ahead of the picture.
   */
  ts: number;
  /** `open`: voting; `counting`: closed, the last votes are being counted; `closed`: final. */
  state: 'open' | 'counting' | 'closed';
  /** When it closes by itself (ms since the epoch), or null. */
  endsAt: number | null;
  allowChange: boolean;
  anonymous: boolean;
  /** Votes per option, exact for signed-in voters. */
  votes: number[];
  /** Voters in all (each counted once). */
  total: number;
  /** Whole percentages per option for display; they add up to 100 once anyone voted. */
  percents: number[];
  /** The total for display: "1.2K votes". */
  text: string;
  /** A quiz's right answer, only once `closed`. */
  correct?: number;
}

/** A viewer's vote: `option` is the answer's index. */
export interface VoteRequest {
  type: 'vote';
  ref?: number;
  stream: string;
  poll: string;
  option: number;
}

/** A moderator's or broadcaster's poll command over WebSocket (the admin API's rights). */
export type PollAction = ({ type: 'open' } & PollSpec) | { type: 'close'; poll: string };

export interface PollRequest {
  type: 'poll';
  ref?: number;
  stream: string;
  action: PollAction;
}

const SPEC_FIELDS = ['question', 'options', 'durationS', 'correct', 'allowChange', 'anonymous'];

function fail(message: string, ref: number | undefined): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidField, message, { ref });
}

function text(value: unknown, what: string, max: number, ref: number | undefined): string {
  if (typeof value !== 'string') throw fail(`${what} must be a string`, ref);
  const trimmed = value.trim();
  if (trimmed === '' || [...trimmed].length > max)
    throw fail(`${what} must be 1-${max} characters`, ref);
  if (!isCleanUnicode(trimmed))
    throw new ProtocolError(ErrorCode.InvalidUtf8, `${what} is not valid UTF-8`, { ref });
  return trimmed;
}

function index(value: unknown, what: string, below: number, ref: number | undefined): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= below)
    throw fail(`${what} must be an integer from 0 to ${below - 1}`, ref);
  return value;
}

function flag(value: unknown, what: string, ref: number | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw fail(`${what} must be true or false`, ref);
  return value;
}

/** A poll to open, checked strictly (unknown fields, sizes, the correct index). */
export function parsePollSpec(
  value: unknown,
  ref?: number,
  extra: readonly string[] = [],
): PollSpec {
  if (!isPlainObject(value)) throw fail('a poll must be an object', ref);
  for (const key of Object.keys(value))
    if (!SPEC_FIELDS.includes(key) && !extra.includes(key))
      throw fail(`unknown field "${key.slice(0, 32)}" in a poll`, ref);
  const question = text(value.question, 'question', PollLimits.questionMaxChars, ref);
  const raw = value.options;
  const { minOptions, maxOptions } = PollLimits;
  if (!Array.isArray(raw) || raw.length < minOptions || raw.length > maxOptions)
    throw fail(`options must be a list of ${minOptions}-${maxOptions} answers`, ref);
  const options = raw.map((o: unknown, i) =>
    text(o, `options[${i}]`, PollLimits.optionMaxChars, ref),
  );
  if (new Set(options).size !== options.length) throw fail('options must differ', ref);
  const spec: PollSpec = { question, options };
  if (value.durationS !== undefined) {
    const d = value.durationS;
    const { minDurationS, maxDurationS } = PollLimits;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < minDurationS || d > maxDurationS)
      throw fail(`durationS must be an integer from ${minDurationS} to ${maxDurationS}`, ref);
    spec.durationS = d;
  }
  if (value.correct !== undefined)
    spec.correct = index(value.correct, 'correct', options.length, ref);
  const allowChange = flag(value.allowChange, 'allowChange', ref);
  if (allowChange !== undefined) spec.allowChange = allowChange;
  const anonymous = flag(value.anonymous, 'anonymous', ref);
  if (anonymous !== undefined) spec.anonymous = anonymous;
  return spec;
}

function pollId(value: unknown, ref: number | undefined): string {
  if (!isPollId(value)) throw fail('poll must be a poll id (1-32 of A-Z a-z 0-9 _ -)', ref);
  return value;
}

/** The body of a `vote` (stream already read): the poll id and an option index (0–5). */
export function parseVote(
  fields: Record<string, unknown>,
  stream: string,
  ref: number | undefined,
): VoteRequest {
  const vote: VoteRequest = {
    type: 'vote',
    stream,
    poll: pollId(fields.poll, ref),
    option: index(fields.option, 'option', PollLimits.maxOptions, ref),
  };
  if (ref !== undefined) vote.ref = ref;
  return vote;
}

/** The body of a `poll` command (stream already read): open a poll, or close one. */
export function parsePollCommand(
  fields: Record<string, unknown>,
  stream: string,
  ref: number | undefined,
): PollRequest {
  const a = fields.action;
  if (!isPlainObject(a) || (a.type !== 'open' && a.type !== 'close'))
    throw fail('action.type must be open or close', ref);
  let action: PollAction;
  if (a.type === 'open') {
    action = { type: 'open', ...parsePollSpec(a, ref, ['type']) };
  } else {
    for (const key of Object.keys(a))
      if (key !== 'type' && key !== 'poll')
        throw fail(`unknown field "action.${key.slice(0, 32)}" in close`, ref);
    action = { type: 'close', poll: pollId(a.poll, ref) };
  }
  const request: PollRequest = { type: 'poll', stream, action };
  if (ref !== undefined) request.ref = ref;
  return request;
}

/**
 * Whole percentages that add up to 100 (largest remainder), so bars never show 101%; all zero
 * before the first vote.
 */
export function pollPercents(votes: readonly number[]): number[] {
  const total = votes.reduce((a, b) => a + b, 0);
  if (total <= 0) return votes.map(() => 0);
  const exact = votes.map((v) => (v * 100) / total);
  const out = exact.map(Math.floor);
  let left = 100 - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i] = (out[i] as number) + 1;
    left--;
  }
  return out;
}
