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
const ASCII = /^[\x20-\x7e]*$/;
/**
 * The only characters whose NFKD form is longer than MAX_EXPANSION UTF-16 units (U+FDFA is 18);
 * none of them looks like a Latin letter, so they fold to a space instead of their expansion. A
 * unit test scans every code point to keep this list true for the running ICU.
 */
// Each entry is one code point (some are vowel signs), never a sequence, so nothing is split.
const WIDE =
  // eslint-disable-next-line no-misleading-character-class
  /[\u321d\u321e\u327c\u3300\u3302\u3304\u3307\u3313\u3315-\u3317\u3319\u331a\u3320\u3321\u332b\u332d\u332e\u3332\u3334\u3336\u333b\u333d\u3340\u3347\u334a\u334c\u3354\u3356\u33ae\u33af\ufdfa\ufdfb\u{16126}-\u{16128}\u{16d6a}\u{1d160}-\u{1d164}\u{1d1bd}-\u{1d1c0}]/gu;
/** Folding never makes a text longer than this many times its UTF-16 length. */
export const MAX_EXPANSION = 4;

/**
 * Lower case, compatibility forms folded, accents and zero-width characters removed. Linear, and
 * at most MAX_EXPANSION times the input: the moderation checks' work per message is bounded by
 * the text's length, whatever characters it is made of.
 */
export function fold(text: string): string {
  // NFKD leaves printable ASCII as it is, and it has no marks or zero-width characters.
  if (ASCII.test(text)) return text.toLowerCase();
  return text
    .replace(WIDE, ' ')
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(ZERO_WIDTH, '')
    .toLowerCase();
}

const EDGE_PUNCT = /^[!|]+|[!|]+$/g;

/** CONFUSABLES by UTF-16 code unit (every key and value is one BMP character). */
const CONFUSE_UNIT = new Map<number, number>(
  Object.entries(CONFUSABLES).map(([from, to]) => [from.charCodeAt(0), to.charCodeAt(0)]),
);

function unconfuse(token: string): string {
  if (plain(token)) return token;
  // Look-alikes mapped, then runs of three or more of a letter collapsed ("baaad" → "bad");
  // doubles stay ("good"). One pass over code units: a regex with a callback cost 1 µs a word.
  const codes: number[] = [];
  let prev = -1;
  let count = 0;
  for (let i = 0; i < token.length; i++) {
    const unit = token.charCodeAt(i);
    // A run of an astral character is a run of code points, not of units.
    if (unit >= 0xd800 && unit <= 0xdfff) return unconfuseAstral(token);
    const c = CONFUSE_UNIT.get(unit) ?? unit;
    if (c === prev) {
      count++;
      continue;
    }
    for (let k = count >= 3 ? 1 : count; k > 0; k--) codes.push(prev);
    prev = c;
    count = 1;
  }
  for (let k = count >= 3 ? 1 : count; k > 0; k--) codes.push(prev);
  return String.fromCharCode(...codes);
}

function unconfuseAstral(token: string): string {
  let out = '';
  let prev = '';
  let count = 0;
  for (const ch of token) {
    const c = CONFUSABLES[ch] ?? ch;
    if (c === prev) {
      count++;
      continue;
    }
    out += count >= 3 ? prev : prev.repeat(count);
    prev = c;
    count = 1;
  }
  return out + (count >= 3 ? prev : prev.repeat(count));
}

/** True when `unconfuse` would change nothing: checked without a regex, as most words are. */
function plain(token: string): boolean {
  let before = -1;
  let repeats = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (
      c >= 0x370 ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x24 ||
      c === 0x21 ||
      c === 0x40 ||
      c === 0x7c ||
      c === 0x261
    )
      return false;
    repeats = c === before ? repeats + 1 : 0;
    if (repeats >= 2) return false;
    before = c;
  }
  return true;
}

const WORD_CHAR = /^[\p{L}\p{N}@$!|]$/u;
/** Whether each BMP code unit is part of a word: 0 not yet known, 1 yes, 2 no. */
const BMP_WORD = new Uint8Array(0x10000);
for (let c = 0; c < 0x80; c++) BMP_WORD[c] = WORD_CHAR.test(String.fromCharCode(c)) ? 1 : 2;

/**
 * Words of an already folded text; symbols that stand for letters stay inside their word. A
 * hand-written scan with a per-character table: splitting on a Unicode-property regex cost
 * 67 µs for 480 short words.
 */
export function foldedWords(folded: string): string[] {
  const out: string[] = [];
  let start = -1;
  const end = (at: number): void => {
    let w = folded.slice(start, at);
    start = -1;
    // "!" and "|" stand for letters inside a word only; at its edges they are punctuation.
    const first = w.charCodeAt(0);
    const last = w.charCodeAt(w.length - 1);
    if (first === 33 || first === 124 || last === 33 || last === 124) w = w.replace(EDGE_PUNCT, '');
    if (w.length > 0) out.push(unconfuse(w));
  };
  for (let i = 0; i < folded.length; i++) {
    const c = folded.charCodeAt(i);
    let word: boolean;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < folded.length) {
      const cp = folded.codePointAt(i) as number;
      word = WORD_CHAR.test(String.fromCodePoint(cp));
      if (word && start < 0) start = i;
      if (!word && start >= 0) end(i);
      i++;
      continue;
    }
    let known = BMP_WORD[c] as number;
    if (known === 0) BMP_WORD[c] = known = WORD_CHAR.test(String.fromCharCode(c)) ? 1 : 2;
    word = known === 1;
    if (word && start < 0) start = i;
    else if (!word && start >= 0) end(i);
  }
  if (start >= 0) end(folded.length);
  return out;
}

/** Words of `text`, normalised. */
export function words(text: string): string[] {
  return foldedWords(fold(text));
}

/**
 * A key under which repeats of "the same message" collide: case, spacing and punctuation ignored.
 * Cheaper than `words` (no normalisation): it runs on every message, terms only when there are any.
 */
export function sameMessageKey(text: string): string {
  return asciiKey(text) ?? text.toLowerCase().replace(SEPARATORS, ' ').trim();
}

const SEPARATORS = /[\p{P}\p{Z}\s]+/gu;
/** 1 for the ASCII characters `SEPARATORS` takes (punctuation and spaces), 0 for the others. */
const ASCII_SEPARATOR = Uint8Array.from({ length: 0x80 }, (_, c) =>
  /^[\p{P}\p{Z}\s]$/u.test(String.fromCharCode(c)) ? 1 : 0,
);
const keyUnits = new Uint16Array(2048);

/**
 * `sameMessageKey` of an ASCII text in one pass over it, without the Unicode regex (every message
 * is keyed, most are ASCII); undefined for any other text.
 */
function asciiKey(text: string): string | undefined {
  if (text.length > keyUnits.length) return undefined;
  let n = 0;
  let gap = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return undefined;
    if (ASCII_SEPARATOR[c] === 1) {
      // A run of separators is one space, none at either end (the regex, then `trim`).
      gap = n > 0;
      continue;
    }
    if (gap) keyUnits[n++] = 0x20;
    gap = false;
    keyUnits[n++] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  }
  return String.fromCharCode.apply(null, keyUnits.subarray(0, n) as unknown as number[]);
}

// The look-behind starts a domain only where a run of its characters starts, so each run is
// scanned once: with \b, "a-a-a-…-a.x" was tried from every hyphen (quadratic).
const LINK =
  /\b(?:https?:\/\/|www\.)\S+|(?<![a-z0-9-])[a-z0-9-]{2,}\.(?:com|net|org|io|gg|tv|co|in|pk|uk|me|ly|xyz|app|dev|link|live)\b/;
const DOTS = /[.\u3002\uff0e\uff61]/;

/** True when `text` holds a link; `folded` is `fold(text)` when the caller has it already. */
export function hasLink(text: string, folded?: string): boolean {
  // Every link has a dot (or a full stop look-alike that NFKD folds to one).
  if (!DOTS.test(text)) return false;
  return LINK.test(folded ?? fold(text));
}

const EMOTE_ONLY =
  /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u200d|\ufe0f|\u20e3|\s)+$/u;

/** True when `text` is emoji and spaces only. */
export function isEmoteOnly(text: string): boolean {
  return EMOTE_ONLY.test(text);
}
