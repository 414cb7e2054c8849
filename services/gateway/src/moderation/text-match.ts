/**
 * Text normalisation for moderation. Banned terms must catch look-alike spellings ("B4D",
 * "bаd" with a Cyrillic а, "b.a.d", "baaad") without flagging innocent words that merely contain
 * a term (the Scunthorpe problem): terms match whole words, or runs of single letters.
 */

// Letters that look like Latin ones, and the digits and symbols that stand in for them.
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
};

const ZERO_WIDTH = /[\u200b-\u200f\u2060\ufeff\u00ad]/g;
const MARKS = /\p{M}/gu;

/** Lower case, compatibility forms folded, accents and zero-width characters removed. */
function fold(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').replace(ZERO_WIDTH, '').toLowerCase();
}

function unconfuse(token: string): string {
  let out = '';
  for (const ch of token) out += CONFUSABLES[ch] ?? ch;
  // Runs of three or more of a letter collapse ("baaad" → "bad"); doubles stay ("good").
  return out.replace(/(.)\1{2,}/gu, '$1');
}

/** Words of `text`, normalised; symbols that stand for letters stay inside their word. */
export function words(text: string): string[] {
  return (
    fold(text)
      .split(/[^\p{L}\p{N}@$!|]+/u)
      // "!" and "|" stand for letters inside a word only; at its edges they are punctuation.
      .map((w) => w.replace(/^[!|]+|[!|]+$/g, ''))
      .filter((w) => w.length > 0)
      .map(unconfuse)
  );
}

/** A term list compiled once per settings change. */
export class TermMatcher {
  readonly #terms: string[][];

  constructor(terms: readonly string[]) {
    this.#terms = terms.map((t) => words(t)).filter((w) => w.length > 0);
  }

  get empty(): boolean {
    return this.#terms.length === 0;
  }

  /** The first banned term found in `text`, or undefined. */
  find(text: string): string | undefined {
    if (this.#terms.length === 0) return undefined;
    const tokens = words(text);
    // "b a d", "b.a.d": consecutive single letters also read as one word.
    const joined: string[] = [];
    let run = '';
    for (const t of tokens) {
      if ([...t].length === 1) run += t;
      else {
        if (run.length > 1) joined.push(run);
        run = '';
      }
    }
    if (run.length > 1) joined.push(run);
    for (const term of this.#terms) {
      if (term.length === 1) {
        const word = term[0] as string;
        if (tokens.includes(word) || joined.includes(word)) return term.join(' ');
        continue;
      }
      for (let i = 0; i + term.length <= tokens.length; i++) {
        if (term.every((w, j) => tokens[i + j] === w)) return term.join(' ');
      }
    }
    return undefined;
  }
}

/**
 * A key under which repeats of "the same message" collide: case, spacing and punctuation ignored.
 * Cheaper than `words` (no normalisation): it runs on every message, terms only when there are any.
 */
export function sameMessageKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{Z}\s]+/gu, ' ')
    .trim();
}

const LINK =
  /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]{2,}\.(?:com|net|org|io|gg|tv|co|in|pk|uk|me|ly|xyz|app|dev|link|live)\b/i;

export function hasLink(text: string): boolean {
  // Every link has a dot (or a full stop look-alike that NFKD folds to one).
  if (!/[.\u3002\uff0e\uff61]/.test(text)) return false;
  return LINK.test(fold(text));
}

const EMOTE_ONLY =
  /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u200d|\ufe0f|\u20e3|\s)+$/u;

/** True when `text` is emoji and spaces only. */
export function isEmoteOnly(text: string): boolean {
  return EMOTE_ONLY.test(text);
}
