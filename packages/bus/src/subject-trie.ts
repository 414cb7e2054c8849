/** Subscriptions indexed by subject pattern, matched with NATS semantics (`*` and `>`). */
export class SubjectTrie<T> {
  #root = new TrieNode<T>();

  add(pattern: string, value: T): void {
    let node = this.#root;
    for (const token of pattern.split('.')) {
      let next = node.children.get(token);
      if (!next) {
        next = new TrieNode<T>();
        node.children.set(token, next);
      }
      node = next;
    }
    node.values.add(value);
  }

  remove(pattern: string, value: T): void {
    const path: [TrieNode<T>, string][] = [];
    let node: TrieNode<T> | undefined = this.#root;
    for (const token of pattern.split('.')) {
      const next: TrieNode<T> | undefined = node.children.get(token);
      if (!next) return;
      path.push([node, token]);
      node = next;
    }
    node.values.delete(value);
    // Prune empty branches so a long-running bus does not keep every stream it ever saw.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, token] = path[i] as [TrieNode<T>, string];
      const child = parent.children.get(token);
      if (!child || child.values.size > 0 || child.children.size > 0) break;
      parent.children.delete(token);
    }
  }

  /** Every value whose pattern matches the literal `subject`. */
  match(subject: string): T[] {
    const out: T[] = [];
    this.#walk(this.#root, subject.split('.'), 0, out);
    return out;
  }

  #walk(node: TrieNode<T>, tokens: string[], i: number, out: T[]): void {
    if (i === tokens.length) {
      for (const v of node.values) out.push(v);
      return;
    }
    const gt = node.children.get('>');
    if (gt) for (const v of gt.values) out.push(v);
    const exact = node.children.get(tokens[i] as string);
    if (exact) this.#walk(exact, tokens, i + 1, out);
    const star = node.children.get('*');
    if (star) this.#walk(star, tokens, i + 1, out);
  }
}

class TrieNode<T> {
  readonly children = new Map<string, TrieNode<T>>();
  readonly values = new Set<T>();
}
