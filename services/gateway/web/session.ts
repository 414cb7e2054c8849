import { RoarClient, type ChatEvent, type TransportMode } from '@roar/client';
import { LiveStates } from '@roar/client/live-state';
import { Polls } from '@roar/client/polls';
import { Qa } from '@roar/client/qa';
import { AdminApi, AdminError } from './admin-api.js';
import { ChatView, type MessageActions } from './chat-view.js';
import { Composer } from './composer.js';
import { devToken, type DemoRole } from './dev-login.js';
import { Directory } from './directory.js';
import { Dvr } from './dvr.js';
import { byId } from './dom.js';
import { ModConsole } from './mod-console.js';
import { QaPanel } from './qa-panel.js';
// Polls
import { PollConsole } from './poll-console.js';
import { PollView } from './poll-view.js';
import { ReactionsView } from './reactions-view.js';
import { canModerate } from './roles.js';
import { StatusView } from './status-view.js';
import { ScoreWidget } from './score-widget.js';
import { WidgetEditor } from './widget-editor.js';

export interface SessionOptions {
  stream: string;
  /** Empty: watch anonymously. */
  name: string;
  role: DemoRole;
  transport: TransportMode;
}

/** A timeout from a message's menu lasts this long. */
const TIMEOUT_S = 600;

/**
 * One visit to one stream: the SDK client (msgpack, WebSocket with the event-stream fallback)
 * and the views it drives. Moderators (by the roles the server confirmed in its welcome) also
 * get the console and a menu on every message; their actions go through the admin API.
 */
export class Session {
  readonly #o: SessionOptions;
  readonly #client: RoarClient;
  /** The SDK's feature entries this page uses, made with the client before it joins. */
  readonly #polls: Polls;
  readonly #qaFeature: Qa;
  readonly #states: LiveStates;
  readonly #chat: ChatView;
  readonly #reactions: ReactionsView;
  readonly #status = new StatusView();
  readonly #composer: Composer;
  readonly #api: AdminApi;
  readonly #directory = new Directory();
  readonly #dvr: Dvr;
  readonly #qa: QaPanel;
  #console: ModConsole | undefined;
  readonly #widgets: ScoreWidget;
  #token: string | undefined;
  // Polls
  readonly #poll: PollView;
  #pollConsole: PollConsole | undefined;

  constructor(options: SessionOptions) {
    this.#o = options;
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const { name, role, stream } = options;
    this.#client = new RoarClient({
      url: url.href,
      codec: 'msgpack',
      transport: options.transport,
      // Asked before every connection attempt: a restarted dev server signs with a new secret.
      ...(name ? { token: async () => (this.#token = await devToken(name, role, stream)) } : {}),
    });
    this.#polls = new Polls(this.#client);
    this.#qaFeature = new Qa(this.#client);
    this.#states = new LiveStates(this.#client);
    this.#api = new AdminApi(stream, () => this.#token);
    this.#chat = new ChatView(byId<HTMLOListElement>('messages'));
    const dvr = { slider: byId<HTMLInputElement>('dvr'), label: byId('dvr-time') };
    this.#dvr = new Dvr(
      { ...dvr, live: byId<HTMLButtonElement>('golive') },
      this.#client,
      stream,
      this.#chat,
    );
    this.#reactions = new ReactionsView(byId('reactions'), byId('bursts'), (emoji) =>
      this.#client.react(stream, emoji).catch((error: unknown) => this.#notice(error)),
    );
    byId('intro').hidden = true;
    this.#composer = new Composer(this.#client, stream);
    this.#widgets = new ScoreWidget(byId('widgets'), this.#states.of(stream));
    this.#qa = new QaPanel(byId('qa'), this.#qaFeature, stream);
    // Polls
    this.#poll = new PollView(byId('poll'), (poll, option) =>
      this.#polls.vote(stream, poll, option).then(
        () => true,
        (error: unknown) => (this.#notice(error), false),
      ),
    );
    this.#status.reset();
    this.#listen();
  }

  /** Connects and joins; failures are shown on the page, and the SDK keeps retrying drops. */
  async start(): Promise<void> {
    try {
      await this.#client.connect();
      await this.#client.join(this.#o.stream);
    } catch (error) {
      this.#notice(error);
    }
  }

  stop(): void {
    this.#client.close();
    this.#dvr.stop();
    this.#console?.stop();
    this.#composer.stop();
    this.#widgets.stop();
  }

  #listen(): void {
    const c = this.#client;
    const { stream } = this.#o;
    const mine = (event: { stream: string }): boolean => event.stream === stream;
    c.on('status', (change) => {
      this.#status.connection(change, c.transport);
      if (change.state !== 'open') this.#composer.joined(false);
    });
    c.on('welcome', (welcome) => {
      const roles = welcome.user?.roles ?? [];
      if (welcome.user) this.#directory.user(welcome.user);
      this.#composer.signedIn(welcome.user !== null);
      // Anonymous viewers watch: the server refuses their reactions, so no buttons for them.
      this.#reactions.signedIn(welcome.user !== null);
      this.#qa.user(welcome.user !== null, canModerate(roles, stream));
      if (!this.#console && canModerate(roles, stream)) {
        this.#chat.actions = this.#actions();
        this.#console = new ModConsole(byId('mod'), this.#api, this.#directory);
        new WidgetEditor(byId('mod'), this.#states, stream);
        // Polls
        this.#pollConsole = new PollConsole({
          open: (spec) => this.#polls.open(stream, spec),
          close: (poll) => this.#polls.close(stream, poll),
        });
        byId('mod').append(this.#pollConsole.element);
      }
      this.#poll.signedIn(welcome.user !== null);
    });
    c.on('joined', (joined) => {
      if (!mine(joined)) return;
      this.#reactions.setEmoji(joined.settings.reactions, joined.settings.reactionsEnabled);
      this.#status.rules(joined.settings);
      this.#composer.rules(joined.settings);
      this.#status.pinned(joined.pinned, this.#unpin());
      if (joined.gap) this.#chat.system('Some messages were missed while reconnecting.');
      this.#composer.joined(true);
      this.#qa.joined();
    });
    c.on('chat', (e) => {
      if (!mine(e)) return;
      this.#directory.message(e.event);
      // While the DVR slider is back in time, the view shows that moment's chat instead.
      if (this.#dvr.live(e.event)) this.#chat.add(e.event);
    });
    c.on('viewers', (e) => mine(e) && this.#status.count(e.viewers.text));
    c.on('reactions', (e) => mine(e) && this.#reactions.burst(e.counts));
    c.on('announcement', (e) => mine(e) && this.#chat.announce(e.event));
    c.on('sampling', (e) => mine(e) && this.#status.sampling(e.fraction));
    c.on('degradation', (e) => this.#status.degradation(e.level, e.text));
    c.on('delete', (e) => {
      if (!mine(e)) return;
      this.#chat.remove(e.id);
      this.#console?.refreshAudit();
    });
    c.on('clear', (e) => {
      if (!mine(e)) return;
      this.#chat.clear();
      this.#chat.system('Chat was cleared by a moderator.');
      this.#console?.refreshAudit();
    });
    c.on('pin', (e) => mine(e) && this.#status.pinned(e.message, this.#unpin()));
    c.on('user_removed', (e) => {
      if (!mine(e)) return;
      const who = this.#chat.removeUser(e.userId) ?? 'A viewer';
      this.#chat.system(`${who} was ${e.until === null ? 'banned' : 'timed out'}.`);
      this.#console?.refreshBans();
      this.#console?.refreshAudit();
    });
    c.on('settings', (e) => {
      if (!mine(e)) return;
      this.#status.rules(e.settings);
      this.#composer.rules(e.settings);
      this.#reactions.setEmoji(e.settings.reactions, e.settings.reactionsEnabled);
    });
    this.#qaFeature.on('qa', (e) => mine(e) && this.#qa.board(e));
    // Polls
    this.#polls.on('poll', (e) => {
      if (!mine(e)) return;
      this.#poll.show(e.poll);
      this.#pollConsole?.seen(e.poll.id, e.poll.state === 'open');
    });
    c.on('error', (error) => this.#notice(error));
  }

  /** The message menu's actions, through the admin API. */
  #actions(): MessageActions {
    const run = (done: string, call: () => Promise<unknown>) => this.#console?.run(done, call);
    return {
      delete: (m: ChatEvent) => run('Message deleted', () => this.#api.deleteMessage(m.id)),
      pin: (m: ChatEvent) => run('Message pinned', () => this.#api.pin(m.id)),
      timeout: (m: ChatEvent) =>
        run(`${m.user.name} timed out`, () => this.#api.timeout(m.user.id, TIMEOUT_S)),
      ban: (m: ChatEvent) =>
        this.#console?.confirm(`Ban ${m.user.name} from this stream?`, 'Ban', () =>
          run(`${m.user.name} banned`, () => this.#api.ban(m.user.id)),
        ),
    };
  }

  #unpin(): (() => void) | undefined {
    const mod = this.#console;
    if (!mod) return undefined;
    return () => mod.run('Unpinned', () => this.#api.unpin());
  }

  #notice(error: unknown): void {
    if (error instanceof AdminError || !(error instanceof Error)) {
      this.#composer.notice(error instanceof Error ? error.message : String(error));
    } else {
      this.#composer.error(error);
    }
  }
}
