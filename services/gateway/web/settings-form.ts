import type { AdminApi, StreamSettings } from './admin-api.js';
import { h } from './dom.js';

type BoolKey = 'chatEnabled' | 'emoteOnly' | 'subscribersOnly' | 'followersOnly' | 'uniqueChat';
type NumberKey = 'slowModeS' | 'holdS' | 'maxLength';

const SWITCHES: [BoolKey | 'reactionsEnabled', string][] = [
  ['chatEnabled', 'Chat on'],
  ['emoteOnly', 'Emote-only'],
  ['subscribersOnly', 'Subscribers only'],
  ['followersOnly', 'Followers only'],
  ['uniqueChat', 'Unique chat (no repeats)'],
  ['reactionsEnabled', 'Reactions on'],
];
const NUMBERS: [NumberKey, string, number, number][] = [
  ['slowModeS', 'Slow mode (s)', 0, 86_400],
  ['holdS', 'Hold delay (s)', 0, 600],
  ['maxLength', 'Max length', 1, 500],
];

/**
 * The stream's chat rules as a form: loaded from `GET …/settings`, saved with a `PATCH` of only
 * the fields that changed, so two moderators editing different rules do not undo each other.
 */
export class SettingsForm {
  readonly element: HTMLFormElement;
  readonly #api: AdminApi;
  readonly #say: (text: string) => void;
  readonly #checks = new Map<string, HTMLInputElement>();
  readonly #numbers = new Map<NumberKey, HTMLInputElement>();
  readonly #links: HTMLSelectElement;
  readonly #terms: HTMLTextAreaElement;
  #loaded: StreamSettings | undefined;

  constructor(api: AdminApi, say: (text: string) => void) {
    this.#api = api;
    this.#say = say;
    const rows: HTMLElement[] = [];
    for (const [key, label] of SWITCHES) {
      const input = h('input', { attrs: { type: 'checkbox', name: key } });
      this.#checks.set(key, input);
      rows.push(h('label', { class: 'check' }, input, label));
    }
    for (const [key, label, min, max] of NUMBERS) {
      const input = h('input', {
        attrs: { type: 'number', name: key, min: String(min), max: String(max), required: '' },
      });
      this.#numbers.set(key, input);
      rows.push(h('label', {}, label, input));
    }
    this.#links = h(
      'select',
      { attrs: { name: 'links' } },
      ...['allow', 'block', 'moderators'].map((v) => h('option', { text: v, attrs: { value: v } })),
    );
    this.#terms = h('textarea', { attrs: { name: 'bannedTerms', rows: '3' } });
    rows.push(h('label', {}, 'Links', this.#links));
    rows.push(h('label', { class: 'wide' }, 'Banned terms (one per line)', this.#terms));
    this.element = h(
      'form',
      {
        class: 'settings',
        on: {
          submit: (e) => {
            e.preventDefault();
            this.save().catch((error: unknown) =>
              this.#say(`Settings not saved: ${String(error)}`),
            );
          },
        },
      },
      ...rows,
      h('button', { text: 'Save settings', attrs: { type: 'submit' } }),
    );
  }

  async load(): Promise<void> {
    this.#fill(await this.#api.settings());
  }

  async save(): Promise<void> {
    const patch = this.#patch();
    if (Object.keys(patch).length === 0) return this.#say('Settings: nothing changed');
    this.#fill(await this.#api.updateSettings(patch));
    this.#say(`Settings saved: ${Object.keys(patch).join(', ')}`);
  }

  #fill(settings: StreamSettings): void {
    this.#loaded = settings;
    for (const [key, input] of this.#checks) input.checked = settings[key as BoolKey] === true;
    for (const [key, input] of this.#numbers) input.value = String(settings[key]);
    this.#links.value = settings.links;
    this.#terms.value = settings.bannedTerms.join('\n');
  }

  /** The fields whose input differs from what was loaded. */
  #patch(): Partial<StreamSettings> {
    const loaded = this.#loaded;
    if (!loaded) return {};
    const patch: Partial<StreamSettings> = {};
    for (const [key, input] of this.#checks) {
      const k = key as BoolKey | 'reactionsEnabled';
      if (input.checked !== loaded[k]) patch[k] = input.checked;
    }
    for (const [key, input] of this.#numbers) {
      const value = Number(input.value);
      if (Number.isInteger(value) && value !== loaded[key]) patch[key] = value;
    }
    const links = this.#links.value;
    if (
      links !== loaded.links &&
      (links === 'allow' || links === 'block' || links === 'moderators')
    ) {
      patch.links = links;
    }
    const terms = this.#terms.value
      .split('\n')
      .map((t) => t.trim())
      .filter((t) => t.length > 0);
    if (terms.join('\n') !== loaded.bannedTerms.join('\n')) patch.bannedTerms = terms;
    return patch;
  }
}
