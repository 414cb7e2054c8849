/**
 * The only way the demo builds markup: elements are created one by one, text goes in with
 * `textContent`, and attributes with `setAttribute`. Nothing is ever parsed as HTML, so chat
 * text and display names cannot inject markup or script whatever they contain.
 */
type Child = Node | string | undefined | false;

export interface Props {
  /** Class names, space-separated. */
  class?: string;
  /** Set with `textContent`. */
  text?: string;
  /** Attributes, set with `setAttribute` (never event-handler attributes: see `on`). */
  attrs?: Record<string, string>;
  /** Event listeners, added with `addEventListener`. */
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
}

/** A new element of `tag` with `props` and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    // Handlers as attributes would be code from a string: refuse them even from our own calls.
    if (name.toLowerCase().startsWith('on')) throw new Error(`no ${name} attribute: use props.on`);
    el.setAttribute(name, value);
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    if (listener) el.addEventListener(type, listener);
  }
  for (const child of children) {
    if (child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** The element with `id`, which the page must have: a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

/** Shows or hides an element (the `hidden` attribute). */
export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}
