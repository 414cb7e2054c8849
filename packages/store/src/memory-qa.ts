import type { QaQuestion } from '@roar/protocol';
import {
  MINE_KEPT,
  questionId,
  type AskOutcome,
  type NewQuestion,
  type QaBoard,
  type QaStore,
  type QuestionAction,
  type QuestionState,
  type ReviewState,
  type Upvote,
  type UpvoteOutcome,
} from './qa.js';

interface Stored {
  id: string;
  question: NewQuestion;
  state: QuestionState;
  upvotes: number;
}

interface Session {
  rev: number;
  ts: number;
  open: boolean;
  seq: number;
  picked: string | undefined;
  questions: Map<string, Stored>;
  voted: Set<string>;
  lastAsk: Map<string, number>;
  byAuthor: Map<string, string[]>;
}

/**
 * The Q&A in process memory, for the embedded mode and tests. The board is sorted on read: a
 * single process serves every viewer there, and reads are once a second per stream.
 */
export class MemoryQa implements QaStore {
  readonly #streams = new Map<string, Session>();

  #session(stream: string): Session {
    let s = this.#streams.get(stream);
    if (!s) {
      s = {
        rev: 0,
        ts: 0,
        open: false,
        seq: 0,
        picked: undefined,
        questions: new Map(),
        voted: new Set(),
        lastAsk: new Map(),
        byAuthor: new Map(),
      };
      this.#streams.set(stream, s);
    }
    return s;
  }

  async setOpen(stream: string, open: boolean, now: number): Promise<number> {
    const s = this.#session(stream);
    s.open = open;
    return touch(s, now);
  }

  async ask(stream: string, q: NewQuestion, minIntervalMs: number): Promise<AskOutcome> {
    const s = this.#session(stream);
    if (!s.open) return { ok: false, reason: 'closed' };
    const last = s.lastAsk.get(q.author);
    if (last !== undefined && q.ts - last < minIntervalMs) {
      return { ok: false, reason: 'rate_limited', retryAfterMs: last + minIntervalMs - q.ts };
    }
    s.lastAsk.set(q.author, q.ts);
    const id = questionId(++s.seq);
    s.questions.set(id, {
      id,
      question: { ...q, user: { ...q.user } },
      state: q.held ? 'held' : 'visible',
      upvotes: 0,
    });
    const mine = [...(s.byAuthor.get(q.author) ?? []), id].slice(-MINE_KEPT);
    s.byAuthor.set(q.author, mine);
    // A held question changes no board; the rev stays, so nobody reads a board for nothing.
    return { ok: true, id, rev: q.held ? s.rev : touch(s, q.ts) };
  }

  async upvote(stream: string, votes: readonly Upvote[], now: number): Promise<UpvoteOutcome[]> {
    const s = this.#session(stream);
    let counted = false;
    const out = votes.map(({ id, voter }): UpvoteOutcome => {
      if (!s.open) return 'closed';
      const q = s.questions.get(id);
      if (!q) return 'missing';
      if (q.state === 'hidden' || q.state === 'held') return 'hidden';
      if (q.question.author === voter) return 'own';
      const key = `${id}\n${voter}`;
      if (s.voted.has(key)) return 'duplicate';
      s.voted.add(key);
      q.upvotes++;
      counted = true;
      return 'counted';
    });
    if (counted) touch(s, now);
    return out;
  }

  async moderate(
    stream: string,
    id: string,
    action: QuestionAction,
    now: number,
  ): Promise<QuestionState | undefined> {
    const s = this.#session(stream);
    const q = s.questions.get(id);
    if (!q) return undefined;
    switch (action) {
      case 'hide':
        q.state = 'hidden';
        if (s.picked === id) s.picked = undefined;
        break;
      case 'show':
        q.state = 'visible';
        break;
      case 'answer':
        q.state = 'answered';
        break;
      case 'pick':
        if (q.state === 'hidden' || q.state === 'held') return q.state;
        s.picked = id;
        break;
    }
    touch(s, now);
    return q.state;
  }

  async list(stream: string, state: ReviewState, limit: number): Promise<QaQuestion[]> {
    const s = this.#streams.get(stream);
    if (!s) return [];
    return [...s.questions.values()]
      .filter((q) => q.state === state)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, Math.max(0, limit))
      .map(view);
  }

  async mine(stream: string, author: string): Promise<QaQuestion[]> {
    const s = this.#streams.get(stream);
    const ids = s?.byAuthor.get(author) ?? [];
    return ids
      .map((id) => s?.questions.get(id))
      .filter((q): q is Stored => q !== undefined)
      .reverse()
      .map(view);
  }

  async unpick(stream: string, now: number): Promise<number> {
    const s = this.#session(stream);
    s.picked = undefined;
    return touch(s, now);
  }

  async board(stream: string, n: number): Promise<QaBoard> {
    const s = this.#streams.get(stream);
    if (!s) return { rev: 0, ts: 0, open: false, top: [], picked: null };
    const visible = [...s.questions.values()].filter((q) => q.state === 'visible');
    visible.sort((a, b) => b.upvotes - a.upvotes || (a.id < b.id ? 1 : -1));
    const picked = s.picked === undefined ? undefined : s.questions.get(s.picked);
    return {
      rev: s.rev,
      ts: s.ts,
      open: s.open,
      top: visible.slice(0, Math.max(0, n)).map(view),
      picked: picked ? view(picked) : null,
    };
  }
}

function touch(s: Session, now: number): number {
  s.ts = Math.max(s.ts, now);
  return ++s.rev;
}

function view(q: Stored): QaQuestion {
  const { user, text, ts } = q.question;
  return {
    id: q.id,
    user: { ...user },
    text,
    ts,
    upvotes: q.upvotes,
    ...(q.state === 'answered' ? { answered: true } : {}),
  };
}
