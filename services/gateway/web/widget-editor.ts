import type { LiveState, LiveStates } from '@roar/client/live-state';
import { h } from './dom.js';
import { show } from './score-widget.js';

/**
 * The moderator console's live-widget panel: set a key of the stream's live state (the value is
 * read as JSON when it parses, else as text) or delete it, over the WebSocket command. A write is
 * conditional on the version the console last saw, so two moderators editing at once cannot
 * silently overwrite each other: the second is told to look again.
 */
export class WidgetEditor {
  readonly #states: LiveStates;
  readonly #stream: string;
  readonly #live: LiveState;
  readonly #status = h('p', { class: 'widget-status', attrs: { role: 'status' } });

  constructor(root: HTMLElement, states: LiveStates, stream: string) {
    this.#states = states;
    this.#stream = stream;
    this.#live = states.of(stream);
    const key = h('input', {
      attrs: { name: 'widgetKey', placeholder: 'key (score)', maxlength: '32', required: '' },
    });
    const value = h('input', {
      attrs: { name: 'widgetValue', placeholder: 'value (120/3 or JSON)', maxlength: '1024' },
    });
    const form = h(
      'form',
      {
        class: 'widget-editor',
        on: {
          submit: (e) => {
            e.preventDefault();
            void this.#set(key.value.trim(), value.value);
          },
        },
      },
      key,
      value,
      h('button', { text: 'Set', attrs: { type: 'submit' } }),
      h('button', {
        text: 'Delete',
        attrs: { type: 'button', 'data-action': 'delete-widget' },
        on: { click: () => void this.#delete(key.value.trim()) },
      }),
    );
    root.append(
      h(
        'section',
        { class: 'widgets-panel' },
        h('h3', { text: 'Live widgets' }),
        form,
        this.#status,
      ),
    );
  }

  async #set(key: string, text: string): Promise<void> {
    if (!key) return;
    const value = parse(text);
    await this.#report(
      () => this.#states.set(this.#stream, key, value, { ifVersion: this.#live.versionOf(key) }),
      `${key} set to ${show(value)}`,
    );
  }

  async #delete(key: string): Promise<void> {
    if (!key) return;
    await this.#report(() => this.#states.delete(this.#stream, key), `${key} deleted`);
  }

  async #report(write: () => Promise<{ version: number }>, done: string): Promise<void> {
    try {
      const { version } = await write();
      this.#status.textContent = `${done} (version ${version})`;
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.#status.textContent =
        code === 'version_conflict'
          ? 'Someone changed it meanwhile: look at the new value and try again.'
          : error instanceof Error
            ? error.message
            : String(error);
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
