import {
  AdminError,
  type AdminApi,
  type AuditEntry,
  type Ban,
  type HeldMessage,
} from './admin-api.js';
import type { Directory } from './directory.js';
import { h } from './dom.js';
import { clock } from './format.js';
import { SettingsForm } from './settings-form.js';

/** The audit log's verbs, as a sentence reads them. */
const ACTION_WORDS: Record<string, string> = {
  delete: 'deleted',
  clear: 'cleared the chat',
  pin: 'pinned',
  unpin: 'unpinned the message',
  announce: 'announced',
  timeout: 'timed out',
  ban: 'banned',
  unban: 'lifted the ban on',
  settings: 'changed',
  approve: 'approved',
  deny: 'denied',
  // Polls
  poll_open: 'opened poll',
  poll_close: 'closed poll',
};

/** The held queue is re-read this often while the console is open: nothing pushes it. */
const HELD_REFRESH_MS = 3_000;

/**
 * The moderator console: announcements and clear, the chat rules, the held-message queue
 * (approve or deny), bans and timeouts (lift), and the audit log, all through the admin API
 * with the user's own token. Users and messages are shown by name and text (from `directory`),
 * and the actions that cannot be undone for everyone (clear, ban) ask first, in the page.
 */
export class ModConsole {
  readonly #api: AdminApi;
  readonly #root: HTMLElement;
  readonly #status = h('p', { class: 'mod-status', attrs: { role: 'status' } });
  readonly #held = h('ol', { class: 'held' });
  readonly #bans = h('ol', { class: 'bans' });
  readonly #audit = h('ol', { class: 'audit' });
  readonly #confirm = h('div', { class: 'confirm', attrs: { role: 'alertdialog' } });
  readonly #directory: Directory;
  readonly #settings: SettingsForm;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(root: HTMLElement, api: AdminApi, directory: Directory) {
    this.#api = api;
    this.#root = root;
    this.#directory = directory;
    this.#confirm.hidden = true;
    this.#settings = new SettingsForm(api, (text) => this.say(text));
    const announce = h('input', {
      attrs: { name: 'announcement', placeholder: 'Announcement', maxlength: '500' },
    });
    root.replaceChildren(
      h('h2', { text: 'Moderator console' }),
      this.#status,
      this.#confirm,
      h(
        'form',
        {
          class: 'announce',
          on: {
            submit: (e) => {
              e.preventDefault();
              const text = announce.value.trim();
              if (!text) return;
              this.run('Announced', () => this.#api.announce(text));
              announce.value = '';
            },
          },
        },
        announce,
        h('button', { text: 'Announce', attrs: { type: 'submit' } }),
        h('button', {
          text: 'Clear chat',
          attrs: { type: 'button', 'data-action': 'clear' },
          on: {
            click: () =>
              this.confirm('Clear the chat for everyone?', 'Clear chat', () =>
                this.run('Chat cleared', () => this.#api.clear()),
              ),
          },
        }),
      ),
      h('h3', { text: 'Chat rules' }),
      this.#settings.element,
      h(
        'h3',
        {},
        'Held messages ',
        this.#refreshButton(() => this.refreshHeld()),
      ),
      this.#held,
      h(
        'h3',
        {},
        'Bans and timeouts ',
        this.#refreshButton(() => this.refreshBans()),
      ),
      this.#bans,
      h(
        'h3',
        {},
        'Audit log ',
        this.#refreshButton(() => this.refreshAudit()),
      ),
      this.#audit,
    );
    root.hidden = false;
    this.run(undefined, () => this.#settings.load());
    this.refresh();
    this.#timer = setInterval(() => this.refreshHeld(), HELD_REFRESH_MS);
  }

  /** Runs an admin call; says `done` when it succeeds and the API's reason when it does not. */
  run(done: string | undefined, call: () => Promise<unknown>): void {
    call().then(
      () => {
        if (done) this.say(done);
        this.refresh();
      },
      (error: unknown) => {
        const why = error instanceof AdminError ? `${error.code}: ${error.message}` : String(error);
        this.say(`Failed: ${why}`);
      },
    );
  }

  say(text: string): void {
    this.#status.textContent = text;
  }

  /**
   * Asks `question` in the console, with `label` (which runs `action`) and Cancel. One question
   * at a time: a new one replaces an unanswered one, which is then not run.
   */
  confirm(question: string, label: string, action: () => void): void {
    const close = (): void => {
      this.#confirm.hidden = true;
      this.#confirm.replaceChildren();
    };
    const yes = h('button', {
      text: label,
      class: 'danger',
      attrs: { type: 'button', 'data-confirm': 'yes' },
      on: {
        click: () => {
          close();
          action();
        },
      },
    });
    this.#confirm.replaceChildren(
      h('p', { text: question }),
      yes,
      h('button', {
        text: 'Cancel',
        attrs: { type: 'button', 'data-confirm': 'no' },
        on: { click: close },
      }),
    );
    this.#confirm.hidden = false;
    yes.focus();
  }

  /** Something changed (an event, an action): re-read the queue, the bans and the log. */
  refresh(): void {
    this.refreshHeld();
    this.refreshBans();
    this.refreshAudit();
  }

  refreshBans(): void {
    this.#api.bans().then(
      (bans) => this.#bans.replaceChildren(...bans.map((b) => this.#banRow(b))),
      (error: unknown) => this.say(`Bans unavailable: ${String(error)}`),
    );
  }

  refreshHeld(): void {
    this.#api.held().then(
      (held) => this.#held.replaceChildren(...held.map((m) => this.#heldRow(m))),
      (error: unknown) => this.say(`Held queue unavailable: ${String(error)}`),
    );
  }

  refreshAudit(): void {
    this.#api.audit(30).then(
      (entries) => this.#audit.replaceChildren(...entries.map((e) => this.#auditRow(e))),
      (error: unknown) => this.say(`Audit log unavailable: ${String(error)}`),
    );
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#root.hidden = true;
    this.#root.replaceChildren();
  }

  #heldRow(held: HeldMessage): HTMLElement {
    this.#directory.message(held.message);
    return h(
      'li',
      { attrs: { 'data-id': held.id } },
      h('span', { class: 'who', text: held.message.user.name }),
      h('span', { class: 'text', text: held.message.text }),
      h('span', { class: 'reason', text: held.reason }),
      h('button', {
        text: 'Approve',
        attrs: { type: 'button', 'data-action': 'approve' },
        on: { click: () => this.run('Approved', () => this.#api.approve(held.id)) },
      }),
      h('button', {
        text: 'Deny',
        attrs: { type: 'button', 'data-action': 'deny' },
        on: { click: () => this.run('Denied', () => this.#api.deny(held.id)) },
      }),
    );
  }

  #banRow(ban: Ban): HTMLElement {
    const what = ban.until === null ? 'banned' : `timed out until ${clock(ban.until)}`;
    const name = this.#directory.userName(ban.userId);
    return h(
      'li',
      { attrs: { 'data-user': ban.userId } },
      h('span', { class: 'who', text: name }),
      h('span', { class: 'what', text: what }),
      h('span', { class: 'reason', text: ban.reason ? `(${ban.reason})` : '' }),
      h('button', {
        text: 'Lift',
        attrs: { type: 'button', 'data-action': 'unban' },
        on: {
          click: () => this.run(`Lifted for ${name}`, () => this.#api.unban(ban.userId)),
        },
      }),
    );
  }

  /** "14:05 Mia deleted “buy followers” by Ben": names and texts, not ids, where known. */
  #auditRow(entry: AuditEntry): HTMLElement {
    const d = this.#directory;
    const text = entry.details?.text;
    const changed = entry.action === 'settings' ? Object.keys(entry.details ?? {}) : [];
    const target =
      entry.action === 'announce' && typeof text === 'string'
        ? `“${text}”`
        : entry.target !== undefined
          ? d.target(entry.target)
          : changed.join(', ');
    const what = [
      ACTION_WORDS[entry.action] ?? entry.action,
      target,
      entry.reason && `(${entry.reason})`,
    ]
      .filter(Boolean)
      .join(' ');
    return h(
      'li',
      { attrs: { 'data-action': entry.action } },
      h('time', { text: clock(entry.at), attrs: { datetime: new Date(entry.at).toISOString() } }),
      h('span', { class: 'actor', text: d.userName(entry.actor) }),
      h('span', { class: 'what', text: what }),
    );
  }

  #refreshButton(refresh: () => void): HTMLElement {
    return h('button', {
      text: '↻',
      class: 'refresh',
      attrs: { type: 'button', 'aria-label': 'Refresh' },
      on: { click: refresh },
    });
  }
}
