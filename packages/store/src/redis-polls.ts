import type { Keys } from './keys.js';
import { attempt, type RedisClient } from './redis-shared.js';
import type { Ballot, BallotOutcome, CastResult, NewPoll, PollStore, StoredPoll } from './polls.js';

// A poll is a hash (`…:poll:<id>`: the question, answers as JSON, `n` answers, `c0`…`c5` the
// counts, `voters`, `rev`, the times and flags) and a hash of voters (`…:poll:<id>:voters`,
// identity → option); `…:poll` names the current one. All share the stream's hash tag, so each
// script below touches one slot. Every write renews their expiry (streamStateTtlSeconds).

// The end is the earlier of closedAt and endsAt; Lua's tonumber(false) is nil for an absent field.
const END = `
  local function pollEnd(endsAt, closedAt)
    local e, c = tonumber(endsAt), tonumber(closedAt)
    if e and c then return math.min(e, c) end
    return e or c
  end`;

export const pollScripts = {
  /** KEYS: current pointer, the current poll's hash (or any key of the slot), the new poll's hash, its voters. */
  roarPollOpen: {
    numberOfKeys: 4,
    lua: `${END}
      local now, expected, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
      local current = redis.call('GET', KEYS[1]) or ''
      if current ~= expected then return -1 end
      if current ~= '' then
        local old = redis.call('HMGET', KEYS[2], 'endsAt', 'closedAt')
        if redis.call('EXISTS', KEYS[2]) == 1 then
          local e = pollEnd(old[1], old[2])
          if e == nil or now < e then return 0 end
        end
      end
      redis.call('DEL', KEYS[3], KEYS[4])
      for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
      redis.call('SET', KEYS[1], redis.call('HGET', KEYS[3], 'id'), 'EX', ttl)
      redis.call('EXPIRE', KEYS[3], ttl)
      return 1`,
  },
  /**
   * KEYS: the poll's hash, its voters. ARGV: now, grace ms, ttl s, then voter/option pairs.
   * A batch costs a fixed handful of commands, whatever its size (`INFO commandstats` counts the
   * ones a script runs): one HMGET per 4,000 of its voters and one HSET per 2,000 changed votes
   * (Lua's unpack limit), one HINCRBY per answer whose count moved, and the bookkeeping.
   */
  roarPollCast: {
    numberOfKeys: 2,
    lua: `${END}
      local spec = redis.call('HMGET', KEYS[1], 'n', 'endsAt', 'closedAt', 'change', 'final')
      if not spec[1] then return {0} end
      if spec[5] then return {2} end
      local n = tonumber(spec[1])
      local now, grace, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
      local e = pollEnd(spec[2], spec[3])
      if e and now > e + grace then return {2} end
      local change = spec[4] == '1'
      local count = (#ARGV - 3) / 2
      local stored = {}
      for s = 1, count, 4000 do
        local chunk = {}
        for j = s, math.min(s + 3999, count) do chunk[#chunk + 1] = ARGV[2 * j + 2] end
        local got = redis.call('HMGET', KEYS[2], unpack(chunk))
        for j = 1, #got do stored[s + j - 1] = got[j] end
      end
      local current, writes, delta, fresh, out = {}, {}, {}, 0, {}
      for k = 0, n - 1 do delta[k] = 0 end
      for j = 1, count do
        local voter, option = ARGV[2 * j + 2], tonumber(ARGV[2 * j + 3])
        local before = current[voter]
        if before == nil then before = tonumber(stored[j]) or false end
        local code, after = 3, before
        if not option or option < 0 or option >= n then
          code = 4
        elseif before == false then
          code, after, fresh = 1, option, fresh + 1
          delta[option] = delta[option] + 1
        elseif before == option then
          code = 3
        elseif change then
          code, after = 2, option
          delta[before] = delta[before] - 1
          delta[option] = delta[option] + 1
        else
          code = 5
        end
        if after ~= before then writes[voter] = after end
        current[voter] = after
        out[j] = code
      end
      local args, changed = {}, false
      for voter, option in pairs(writes) do
        args[#args + 1] = voter
        args[#args + 1] = option
        if #args >= 4000 then
          redis.call('HSET', KEYS[2], unpack(args))
          args = {}
        end
        changed = true
      end
      if #args > 0 then redis.call('HSET', KEYS[2], unpack(args)) end
      if changed then
        for k = 0, n - 1 do
          if delta[k] ~= 0 then redis.call('HINCRBY', KEYS[1], 'c' .. k, delta[k]) end
        end
        if fresh > 0 then redis.call('HINCRBY', KEYS[1], 'voters', fresh) end
        redis.call('HINCRBY', KEYS[1], 'rev', 1)
        redis.call('EXPIRE', KEYS[1], ttl)
        redis.call('EXPIRE', KEYS[2], ttl)
      end
      local fields = {'rev', 'voters'}
      for i = 0, n - 1 do fields[#fields + 1] = 'c' .. i end
      local counts = redis.call('HMGET', KEYS[1], unpack(fields))
      local reply = {1, n}
      for i = 1, #counts do reply[#reply + 1] = tonumber(counts[i]) or 0 end
      for i = 1, #out do reply[#reply + 1] = out[i] end
      return reply`,
  },
  /** KEYS: the poll's hash. ARGV: now, ttl s. */
  roarPollClose: {
    numberOfKeys: 1,
    lua: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      if not redis.call('HGET', KEYS[1], 'closedAt') then
        local now = tonumber(ARGV[1])
        local e = tonumber(redis.call('HGET', KEYS[1], 'endsAt'))
        if e and e < now then now = e end
        redis.call('HSET', KEYS[1], 'closedAt', now)
        redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
      end
      return 1`,
  },
  /** KEYS: the poll's hash. ARGV: now. */
  roarPollFinalize: {
    numberOfKeys: 1,
    lua: `${END}
      local spec = redis.call('HMGET', KEYS[1], 'id', 'endsAt', 'closedAt')
      if not spec[1] then return 0 end
      local e = pollEnd(spec[2], spec[3])
      if e and tonumber(ARGV[1]) >= e then redis.call('HSET', KEYS[1], 'final', 1) end
      return 1`,
  },
};

/** The commands that `pollScripts` adds to the client. */
export interface PollScriptCommands {
  roarPollOpen(
    current: string,
    old: string,
    poll: string,
    voters: string,
    ...args: (string | number)[]
  ): Promise<number>;
  roarPollCast(poll: string, voters: string, ...args: (string | number)[]): Promise<number[]>;
  roarPollClose(poll: string, now: number, ttlSeconds: number): Promise<number>;
  roarPollFinalize(poll: string, now: number): Promise<number>;
}

export interface RedisPollsOptions {
  redis: RedisClient & PollScriptCommands;
  keys: Keys;
  ttlSeconds: number;
}

/** Parses a poll hash; undefined when it is missing. */
function parsePoll(h: Record<string, string>): StoredPoll | undefined {
  if (h.id === undefined || h.o === undefined) return undefined;
  const options = JSON.parse(h.o) as string[];
  const num = (v: string | undefined): number | null => (v === undefined ? null : Number(v));
  return {
    id: h.id,
    question: h.q ?? '',
    options,
    openedAt: Number(h.openedAt),
    endsAt: num(h.endsAt),
    closedAt: num(h.closedAt),
    correct: num(h.correct),
    allowChange: h.change === '1',
    anonymous: h.anon === '1',
    by: h.by ?? '',
    votes: options.map((_, i) => Number(h[`c${i}`] ?? 0)),
    voters: Number(h.voters ?? 0),
    final: h.final === '1',
    rev: Number(h.rev ?? 0),
  };
}

/** Polls on Redis: each call is one script (or a read) on the stream's slot; see `PollStore`. */
export class RedisPolls implements PollStore {
  readonly #o: RedisPollsOptions;

  constructor(options: RedisPollsOptions) {
    this.#o = options;
  }

  async open(stream: string, poll: NewPoll, now: number): Promise<StoredPoll | undefined> {
    const { redis, keys, ttlSeconds } = this.#o;
    const fields: (string | number)[] = [
      'id',
      poll.id,
      'q',
      poll.question,
      'o',
      JSON.stringify(poll.options),
      'n',
      poll.options.length,
      'openedAt',
      poll.openedAt,
      'change',
      poll.allowChange ? 1 : 0,
      'anon',
      poll.anonymous ? 1 : 0,
      'by',
      poll.by,
      'voters',
      0,
      'rev',
      0,
      ...poll.options.flatMap((_, i) => [`c${i}`, 0]),
      ...(poll.endsAt !== null ? ['endsAt', poll.endsAt] : []),
      ...(poll.correct !== null ? ['correct', poll.correct] : []),
    ];
    return attempt('polls.open', async () => {
      // The pointer names the hash to check; the script refuses (-1) if it moved meanwhile.
      for (let tries = 0; tries < 5; tries++) {
        const current = (await redis.get(keys.currentPoll(stream))) ?? '';
        const old = current === '' ? keys.currentPoll(stream) : keys.poll(stream, current);
        const done = await redis.roarPollOpen(
          keys.currentPoll(stream),
          old,
          keys.poll(stream, poll.id),
          keys.pollVoters(stream, poll.id),
          now,
          current,
          ttlSeconds,
          ...fields,
        );
        if (done === 0) return undefined;
        if (done === 1) return (await this.get(stream, poll.id)) ?? undefined;
      }
      throw new Error('the current poll kept changing');
    });
  }

  async current(stream: string): Promise<StoredPoll | undefined> {
    const id = await attempt('polls.current', () =>
      this.#o.redis.get(this.#o.keys.currentPoll(stream)),
    );
    return id === null ? undefined : this.get(stream, id);
  }

  async get(stream: string, id: string): Promise<StoredPoll | undefined> {
    const h = await attempt('polls.get', () =>
      this.#o.redis.hgetall(this.#o.keys.poll(stream, id)),
    );
    return parsePoll(h);
  }

  async cast(
    stream: string,
    id: string,
    ballots: readonly Ballot[],
    now: number,
    graceMs: number,
  ): Promise<CastResult> {
    const { redis, keys, ttlSeconds } = this.#o;
    const args: (string | number)[] = [now, graceMs, ttlSeconds];
    for (const b of ballots) args.push(b.voter, b.option);
    const reply = await attempt('polls.cast', () =>
      redis.roarPollCast(keys.poll(stream, id), keys.pollVoters(stream, id), ...args),
    );
    if (reply[0] === 0) return { status: 'missing' };
    if (reply[0] === 2) return { status: 'closed' };
    const n = reply[1] as number;
    return {
      status: 'ok',
      rev: reply[2] as number,
      voters: reply[3] as number,
      votes: reply.slice(4, 4 + n),
      outcomes: reply.slice(4 + n) as BallotOutcome[],
    };
  }

  async close(stream: string, id: string, now: number): Promise<StoredPoll | undefined> {
    const { redis, keys, ttlSeconds } = this.#o;
    const found = await attempt('polls.close', () =>
      redis.roarPollClose(keys.poll(stream, id), now, ttlSeconds),
    );
    return found === 0 ? undefined : this.get(stream, id);
  }

  async finalize(stream: string, id: string, now: number): Promise<StoredPoll | undefined> {
    const { redis, keys } = this.#o;
    const found = await attempt('polls.finalize', () =>
      redis.roarPollFinalize(keys.poll(stream, id), now),
    );
    return found === 0 ? undefined : this.get(stream, id);
  }
}
