import { foldedWords, words } from './text-match.js';

/**
 * A banned-term list compiled once per settings change into one automaton (Aho–Corasick over
 * words), so checking a message is one pass over its words whatever the terms are: the old loop
 * compared every term at every position, and 200 crafted 31-word terms against "a a a …" cost
 * 5.7 ms a message.
 *
 * Terms match whole words ("ass" does not flag "passion": the Scunthorpe problem), and a
 * one-word term also matches a run of single letters ("b a d", "b.a.d").
 */
export class TermMatcher {
  /** Each distinct word of the terms, numbered. A word outside the terms resets the match. */
  readonly #ids = new Map<string, number>();
  /** Trie edges by node; node 0 is the root. */
  readonly #next: Map<number, number>[] = [new Map()];
  /** The longest proper suffix of a node's path that is also a path (the failure link). */
  readonly #fail: number[] = [0];
  /** A term that ends at the node or at a node on its failure chain. */
  readonly #out: (string | undefined)[] = [undefined];
  readonly #oneWord = new Set<string>();

  constructor(terms: readonly string[]) {
    for (const term of terms) {
      const ws = words(term);
      if (ws.length === 0) continue;
      if (ws.length === 1) this.#oneWord.add(ws[0] as string);
      let node = 0;
      for (const w of ws) {
        let id = this.#ids.get(w);
        if (id === undefined) this.#ids.set(w, (id = this.#ids.size));
        const edges = this.#next[node] as Map<number, number>;
        let child = edges.get(id);
        if (child === undefined) {
          child = this.#next.length;
          edges.set(id, child);
          this.#next.push(new Map());
          this.#fail.push(0);
          this.#out.push(undefined);
        }
        node = child;
      }
      this.#out[node] ??= ws.join(' ');
    }
    // Breadth first, so a node's failure target is complete before its children need it.
    const queue = [...(this.#next[0] as Map<number, number>).values()];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] as number;
      for (const [id, child] of this.#next[node] as Map<number, number>) {
        this.#fail[child] = this.#step(this.#fail[node] as number, id);
        this.#out[child] ??= this.#out[this.#fail[child] as number];
        queue.push(child);
      }
    }
  }

  get empty(): boolean {
    return this.#next.length === 1;
  }

  /** The first banned term found in `text`, or undefined. */
  find(text: string): string | undefined {
    return this.empty ? undefined : this.findInWords(words(text));
  }

  /** As `find`, for the words of a text folded already (see `foldedWords`). */
  findFolded(folded: string): string | undefined {
    return this.empty ? undefined : this.findInWords(foldedWords(folded));
  }

  findInWords(tokens: readonly string[]): string | undefined {
    let node = 0;
    let run = '';
    let runLetters = 0;
    for (const t of tokens) {
      const id = this.#ids.get(t);
      node = id === undefined ? 0 : this.#step(node, id);
      const hit = this.#out[node];
      if (hit !== undefined) return hit;
      // "b a d", "b.a.d": consecutive single letters also read as one word.
      if (t.length === 1 || (t.length === 2 && (t.codePointAt(0) ?? 0) > 0xffff)) {
        run += t;
        runLetters++;
      } else {
        if (runLetters > 1 && this.#oneWord.has(run)) return run;
        run = '';
        runLetters = 0;
      }
    }
    if (runLetters > 1 && this.#oneWord.has(run)) return run;
    return undefined;
  }

  /** The automaton's transition: amortised O(1) per word over a whole text. */
  #step(from: number, id: number): number {
    let node = from;
    for (;;) {
      const to = (this.#next[node] as Map<number, number>).get(id);
      if (to !== undefined) return to;
      if (node === 0) return 0;
      node = this.#fail[node] as number;
    }
  }
}
