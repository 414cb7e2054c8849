import type { QaQuestion, UserRef } from '@roar/protocol';
import type { Keys } from './keys.js';
import { MINE_KEPT } from './qa.js';
import type {
  AskOutcome,
  NewQuestion,
  QaBoard,
  QaStore,
  QuestionAction,
  QuestionState,
  ReviewState,
  Upvote,
  UpvoteOutcome,
} from './qa.js';
import { attempt, parseObject, type RedisClient } from './redis-shared.js';

// Every script takes a stream's Q&A keys (one hash tag, one slot) and changes them together, so
// the session hash's `rev` moves with every change a board can show. A question's state is one
// character in front of its author's key in `qa-meta`: v(isible) h(idden) l (held) a(nswered).

/** Raises `rev` and moves `ts` forward; what every board-changing script ends with. */
const BUMP_LUA = `
  local function bump(key, now)
    local ts = tonumber(redis.call('HGET', key, 'ts') or '0')
    if now > ts then redis.call('HSET', key, 'ts', now) end
    return redis.call('HINCRBY', key, 'rev', 1)
  end`;

/** `q` and the sequence number in base 36, eight digits: `questionId` in qa.ts. */
const QUESTION_ID_LUA = `
  local function qid(n)
    local digits, s = '0123456789abcdefghijklmnopqrstuvwxyz', ''
    repeat
      local r = n % 36
      s = string.sub(digits, r + 1, r + 1) .. s
      n = math.floor(n / 36)
    until n == 0
    return 'q' .. string.rep('0', 8 - #s) .. s
  end`;

/** Added to the client next to redis-store.ts's scripts. KEYS order: see `RedisQa.#keys`. */
export const qaScripts = {
  roarQaOpen: {
    numberOfKeys: 1,
    // ARGV: open (0/1), now, ttl.
    lua: `${BUMP_LUA}
      redis.call('HSET', KEYS[1], 'open', ARGV[1])
      local rev = bump(KEYS[1], tonumber(ARGV[2]))
      redis.call('EXPIRE', KEYS[1], ARGV[3])
      return rev`,
  },
  roarQaAsk: {
    numberOfKeys: 9,
    // ARGV: author, question JSON, ts, held (0/1), min interval ms, ttl.
    lua: `${BUMP_LUA}${QUESTION_ID_LUA}
      if redis.call('HGET', KEYS[1], 'open') ~= '1' then return {0, 'closed'} end
      local ts, interval = tonumber(ARGV[3]), tonumber(ARGV[5])
      local last = redis.call('HGET', KEYS[7], ARGV[1])
      if last and ts - tonumber(last) < interval then
        return {0, 'rate_limited', tonumber(last) + interval - ts}
      end
      redis.call('HSET', KEYS[7], ARGV[1], ARGV[3])
      local id = qid(redis.call('HINCRBY', KEYS[1], 'seq', 1))
      redis.call('HSET', KEYS[2], id, ARGV[2])
      local rev
      if ARGV[4] == '1' then
        redis.call('HSET', KEYS[3], id, 'l' .. ARGV[1])
        redis.call('ZADD', KEYS[8], 0, id)
        redis.call('EXPIRE', KEYS[8], ARGV[6])
        rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
      else
        redis.call('HSET', KEYS[3], id, 'v' .. ARGV[1])
        redis.call('ZADD', KEYS[5], 0, id)
        rev = bump(KEYS[1], ts)
      end
      -- The author's last ${MINE_KEPT} ids, oldest first, space-separated (KEYS[9]).
      local mine = (redis.call('HGET', KEYS[9], ARGV[1]) or '') .. ' ' .. id
      local kept = {}
      for one in string.gmatch(mine, '%S+') do kept[#kept + 1] = one end
      while #kept > ${MINE_KEPT} do table.remove(kept, 1) end
      redis.call('HSET', KEYS[9], ARGV[1], table.concat(kept, ' '))
      for i = 1, 7 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
      redis.call('EXPIRE', KEYS[9], ARGV[6])
      return {1, id, rev}`,
  },
  roarQaUpvote: {
    numberOfKeys: 6,
    // ARGV: now, then id and voter for each upvote. One outcome per upvote, in order.
    lua: `${BUMP_LUA}
      local open = redis.call('HGET', KEYS[1], 'open') == '1'
      local out, counted = {}, false
      for i = 2, #ARGV, 2 do
        local id, voter = ARGV[i], ARGV[i + 1]
        local meta = open and redis.call('HGET', KEYS[3], id)
        local state = meta and string.sub(meta, 1, 1)
        if not open then out[#out + 1] = 'closed'
        elseif not meta then out[#out + 1] = 'missing'
        elseif state == 'h' or state == 'l' then out[#out + 1] = 'hidden'
        elseif string.sub(meta, 2) == voter then out[#out + 1] = 'own'
        elseif redis.call('SADD', KEYS[6], id .. '\\n' .. voter) == 0 then
          out[#out + 1] = 'duplicate'
        else
          redis.call('HINCRBY', KEYS[4], id, 1)
          if state == 'v' then redis.call('ZINCRBY', KEYS[5], 1, id) end
          counted = true
          out[#out + 1] = 'counted'
        end
      end
      if counted then
        bump(KEYS[1], tonumber(ARGV[1]))
        local ttl = redis.call('TTL', KEYS[1])
        if ttl > 0 then
          redis.call('EXPIRE', KEYS[4], ttl)
          redis.call('EXPIRE', KEYS[6], ttl)
        end
      end
      return out`,
  },
  roarQaModerate: {
    numberOfKeys: 8,
    // ARGV: id, action, now. The state character afterwards; false when there is no question.
    lua: `${BUMP_LUA}
      local id, action = ARGV[1], ARGV[2]
      local meta = redis.call('HGET', KEYS[3], id)
      if not meta then return false end
      local state, author = string.sub(meta, 1, 1), string.sub(meta, 2)
      local old = state
      if action == 'pick' then
        if state == 'h' or state == 'l' then return state end
        redis.call('HSET', KEYS[1], 'picked', id)
      elseif action == 'hide' then
        state = 'h'
        redis.call('ZREM', KEYS[5], id)
        if redis.call('HGET', KEYS[1], 'picked') == id then redis.call('HDEL', KEYS[1], 'picked') end
      elseif action == 'show' then
        state = 'v'
        redis.call('ZADD', KEYS[5], tonumber(redis.call('HGET', KEYS[4], id) or '0'), id)
      else
        state = 'a'
        redis.call('ZREM', KEYS[5], id)
      end
      redis.call('HSET', KEYS[3], id, state .. author)
      -- The review lists: held (KEYS[7]) and hidden (KEYS[8]) ids, in asking order.
      local index = { l = KEYS[7], h = KEYS[8] }
      if old ~= state then
        if index[old] then redis.call('ZREM', index[old], id) end
        if index[state] then
          redis.call('ZADD', index[state], 0, id)
          local ttl = redis.call('TTL', KEYS[1])
          if ttl > 0 then redis.call('EXPIRE', index[state], ttl) end
        end
      end
      bump(KEYS[1], tonumber(ARGV[3]))
      return state`,
  },
  roarQaList: {
    numberOfKeys: 4,
    // KEYS: a review list (held or hidden ids), questions, meta, upvotes. ARGV: limit. A JSON
    // array of id, JSON, upvotes, meta per question, oldest first.
    lua: `
      local out = {}
      for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
        out[#out + 1] = id
        out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
        out[#out + 1] = redis.call('HGET', KEYS[4], id) or '0'
        out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
      end
      if #out == 0 then return '[]' end
      return cjson.encode(out)`,
  },
  roarQaMine: {
    numberOfKeys: 4,
    // KEYS: by-author, questions, meta, upvotes. ARGV: author. As roarQaList, newest first.
    lua: `
      local out = {}
      local ids = {}
      for one in string.gmatch(redis.call('HGET', KEYS[1], ARGV[1]) or '', '%S+') do
        table.insert(ids, 1, one)
      end
      for _, id in ipairs(ids) do
        local json = redis.call('HGET', KEYS[2], id)
        if json then
          out[#out + 1] = id
          out[#out + 1] = json
          out[#out + 1] = redis.call('HGET', KEYS[4], id) or '0'
          out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
        end
      end
      if #out == 0 then return '[]' end
      return cjson.encode(out)`,
  },
  roarQaUnpick: {
    numberOfKeys: 1,
    // ARGV: now.
    lua: `${BUMP_LUA}
      redis.call('HDEL', KEYS[1], 'picked')
      return bump(KEYS[1], tonumber(ARGV[1]))`,
  },
  roarQaBoard: {
    numberOfKeys: 7,
    // ARGV: n. A JSON array: rev, ts, open, then the picked question (or ''), then the top n,
    // each question as id, JSON, upvotes, meta. Built once per rev (and n) and kept in KEYS[7]:
    // every gateway reads the board every second, but it changes far less often, so a read is
    // an HMGET and a GET, not 3 lookups per question.
    lua: `
      local h = redis.call('HMGET', KEYS[1], 'rev', 'ts', 'open', 'picked', 'board-rev')
      local n = tonumber(ARGV[1])
      local stamp = (h[1] or '0') .. ':' .. n
      if h[1] and h[5] == stamp then
        local cached = redis.call('GET', KEYS[7])
        if cached then return cached end
      end
      local out = {h[1] or '0', h[2] or '0', h[3] or '0'}
      local function add(id)
        out[#out + 1] = id
        out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
        out[#out + 1] = redis.call('HGET', KEYS[4], id) or '0'
        out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
      end
      if h[4] then add(h[4]) else out[#out + 1] = '' end
      if n > 0 then
        for _, id in ipairs(redis.call('ZREVRANGE', KEYS[5], 0, n - 1)) do add(id) end
      end
      local json = cjson.encode(out)
      if h[1] then
        local ttl = redis.call('TTL', KEYS[1])
        redis.call('HSET', KEYS[1], 'board-rev', stamp)
        if ttl > 0 then redis.call('SET', KEYS[7], json, 'EX', ttl) else redis.call('SET', KEYS[7], json) end
      end
      return json`,
  },
};

/** The commands that `qaScripts` adds to the client. */
export interface QaScriptCommands {
  roarQaOpen(key: string, open: string, now: number, ttl: number): Promise<number>;
  roarQaAsk(...args: (string | number)[]): Promise<[number, string, number?]>;
  roarQaUpvote(...args: (string | number)[]): Promise<UpvoteOutcome[]>;
  roarQaModerate(...args: (string | number)[]): Promise<string | null>;
  roarQaUnpick(key: string, now: number): Promise<number>;
  roarQaList(...args: (string | number)[]): Promise<string>;
  roarQaMine(...args: string[]): Promise<string>;
  roarQaBoard(...args: (string | number)[]): Promise<string>;
}

export interface QaBackend {
  redis: RedisClient & QaScriptCommands;
  keys: Keys;
  /** The Q&A of a stream expires this long after its last question or its last open/close. */
  ttlSeconds: number;
}

const STATES: Record<string, QuestionState> = {
  v: 'visible',
  h: 'hidden',
  l: 'held',
  a: 'answered',
};

/** The Q&A on Redis: one script per call (see `qaScripts`), all of a stream's keys in one slot. */
export class RedisQa implements QaStore {
  readonly #b: QaBackend;

  constructor(backend: QaBackend) {
    this.#b = backend;
  }

  /** session, questions, meta, upvotes, rank, votes (and last-ask for `ask`), in script order. */
  #keys(stream: string): string[] {
    const k = this.#b.keys;
    return [
      k.qa(stream),
      k.qaPart(stream, 'questions'),
      k.qaPart(stream, 'meta'),
      k.qaPart(stream, 'upvotes'),
      k.qaPart(stream, 'rank'),
      k.qaPart(stream, 'votes'),
    ];
  }

  async setOpen(stream: string, open: boolean, now: number): Promise<number> {
    const key = this.#b.keys.qa(stream);
    return attempt('qa.setOpen', () =>
      this.#b.redis.roarQaOpen(key, open ? '1' : '0', now, this.#b.ttlSeconds),
    );
  }

  async ask(stream: string, q: NewQuestion, minIntervalMs: number): Promise<AskOutcome> {
    const k = this.#b.keys;
    const keys = [
      ...this.#keys(stream),
      k.qaPart(stream, 'last-ask'),
      k.qaPart(stream, 'held'),
      k.qaPart(stream, 'by-author'),
    ];
    const json = JSON.stringify({ user: q.user, text: q.text, ts: q.ts });
    const [ok, idOrReason, extra] = await attempt('qa.ask', () =>
      this.#b.redis.roarQaAsk(
        ...keys,
        q.author,
        json,
        q.ts,
        q.held ? '1' : '0',
        minIntervalMs,
        this.#b.ttlSeconds,
      ),
    );
    if (ok === 1) return { ok: true, id: idOrReason, rev: Number(extra) };
    if (idOrReason === 'rate_limited')
      return { ok: false, reason: 'rate_limited', retryAfterMs: Number(extra) };
    return { ok: false, reason: 'closed' };
  }

  async upvote(stream: string, votes: readonly Upvote[], now: number): Promise<UpvoteOutcome[]> {
    if (votes.length === 0) return [];
    const args: (string | number)[] = [...this.#keys(stream), now];
    for (const v of votes) args.push(v.id, v.voter);
    return attempt('qa.upvote', () => this.#b.redis.roarQaUpvote(...args));
  }

  async moderate(
    stream: string,
    id: string,
    action: QuestionAction,
    now: number,
  ): Promise<QuestionState | undefined> {
    const state = await attempt('qa.moderate', () =>
      this.#b.redis.roarQaModerate(
        ...this.#keys(stream),
        this.#b.keys.qaPart(stream, 'held'),
        this.#b.keys.qaPart(stream, 'hidden'),
        id,
        action,
        now,
      ),
    );
    return state === null ? undefined : STATES[state];
  }

  async list(stream: string, state: ReviewState, limit: number): Promise<QaQuestion[]> {
    const k = this.#b.keys;
    const keys = [
      k.qaPart(stream, state),
      k.qaPart(stream, 'questions'),
      k.qaPart(stream, 'meta'),
      k.qaPart(stream, 'upvotes'),
    ];
    const json = await attempt('qa.list', () =>
      this.#b.redis.roarQaList(...keys, Math.max(0, Math.floor(limit))),
    );
    const reply = parseStrings(json);
    const out: QaQuestion[] = [];
    for (let i = 0; i + 3 < reply.length; i += 4) out.push(decodeQuestion(reply, i));
    return out;
  }

  async mine(stream: string, author: string): Promise<QaQuestion[]> {
    const k = this.#b.keys;
    const keys = [
      k.qaPart(stream, 'by-author'),
      k.qaPart(stream, 'questions'),
      k.qaPart(stream, 'meta'),
      k.qaPart(stream, 'upvotes'),
    ];
    const json = await attempt('qa.mine', () => this.#b.redis.roarQaMine(...keys, author));
    const reply = parseStrings(json);
    const out: QaQuestion[] = [];
    for (let i = 0; i + 3 < reply.length; i += 4) out.push(decodeQuestion(reply, i));
    return out;
  }

  async unpick(stream: string, now: number): Promise<number> {
    const key = this.#b.keys.qa(stream);
    return attempt('qa.unpick', () => this.#b.redis.roarQaUnpick(key, now));
  }

  async board(stream: string, n: number): Promise<QaBoard> {
    const keys = [...this.#keys(stream), this.#b.keys.qaPart(stream, 'board')];
    const json = await attempt('qa.board', () =>
      this.#b.redis.roarQaBoard(...keys, Math.max(0, Math.floor(n))),
    );
    const reply = parseStrings(json);
    const [rev, ts, open] = reply;
    let i = 3;
    let picked: QaQuestion | null = null;
    if (reply[i] === '') i++;
    else {
      picked = decodeQuestion(reply, i);
      i += 4;
    }
    const top: QaQuestion[] = [];
    for (; i + 3 < reply.length; i += 4) top.push(decodeQuestion(reply, i));
    return { rev: Number(rev), ts: Number(ts), open: open === '1', top, picked };
  }
}

/** A script's JSON array of strings. */
function parseStrings(json: string): string[] {
  const reply: unknown = JSON.parse(json);
  if (!Array.isArray(reply) || !reply.every((x) => typeof x === 'string'))
    throw new Error('a Q&A script answered something that is not a list of strings');
  return reply;
}

/** The question whose id, JSON, upvotes and meta start at `reply[i]`. */
function decodeQuestion(reply: readonly unknown[], i: number): QaQuestion {
  const id = reply[i] as string;
  const { user, text, ts } = parseObject(reply[i + 1] as string, 'question');
  if (typeof text !== 'string' || typeof ts !== 'number' || !isUserRef(user)) {
    throw new Error(`stored question ${id} is malformed`);
  }
  return {
    id,
    user,
    text,
    ts,
    upvotes: Number(reply[i + 2]),
    ...((reply[i + 3] as string).startsWith('a') ? { answered: true } : {}),
  };
}

function isUserRef(value: unknown): value is UserRef {
  const u = value as Partial<UserRef> | null;
  return (
    typeof u === 'object' && u !== null && typeof u.id === 'string' && typeof u.name === 'string'
  );
}
