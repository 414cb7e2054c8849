import type { TransportMode } from '@roar/client';
import type { DemoRole } from './dev-login.js';
import { byId } from './dom.js';
import { Session } from './session.js';

/**
 * The demo page's entry: the join form picks a stream, a name (dev login; empty watches
 * anonymously) and a role, and starts a session. `?stream=&name=&role=` prefill the form and
 * `?transport=sse` forces the event-stream fallback (to see it work without a blocked network).
 */
const form = byId<HTMLFormElement>('login');
const streamInput = byId<HTMLInputElement>('stream');
const nameInput = byId<HTMLInputElement>('name');
const roleInput = byId<HTMLSelectElement>('role');

const ROLES: readonly DemoRole[] = ['viewer', 'moderator', 'broadcaster', 'subscriber'];
const TRANSPORTS: readonly TransportMode[] = ['auto', 'websocket', 'sse'];

const params = new URLSearchParams(location.search);
streamInput.value = params.get('stream') ?? streamInput.value;
nameInput.value = params.get('name') ?? nameInput.value;
roleInput.value = ROLES.find((r) => r === params.get('role')) ?? roleInput.value;
const transport = TRANSPORTS.find((t) => t === params.get('transport')) ?? 'auto';

let session: Session | undefined;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!form.reportValidity()) return;
  session?.stop();
  session = new Session({
    stream: streamInput.value.trim(),
    name: nameInput.value.trim(),
    role: ROLES.find((r) => r === roleInput.value) ?? 'viewer',
    transport,
  });
  document.title = `${streamInput.value.trim()} · Roar demo`;
  void session.start();
});
