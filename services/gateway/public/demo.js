// A minimal page over the JSON subprotocol: every piece of user content is set with textContent,
// never parsed as HTML.
const $ = (id) => document.getElementById(id);
let ws;
let stream;
let ref = 1;

function line(who, text, system = false) {
  const row = document.createElement('div');
  row.className = system ? 'msg system' : 'msg';
  if (who) {
    const name = document.createElement('span');
    name.className = 'who';
    name.textContent = who;
    row.append(name);
  }
  row.append(document.createTextNode(text));
  $('chat').append(row);
  $('chat').scrollTop = $('chat').scrollHeight;
}

function burst(counts) {
  for (const [emoji, n] of Object.entries(counts)) {
    for (let i = 0; i < Math.min(n, 8); i++) {
      const el = document.createElement('span');
      el.className = 'burst';
      el.textContent = emoji;
      el.style.right = `${2 + Math.random() * 6}rem`;
      el.style.animationDelay = `${i * 80}ms`;
      document.body.append(el);
      setTimeout(() => el.remove(), 2000 + i * 80);
    }
  }
}

async function token(name) {
  if (!name) return undefined;
  const res = await fetch('/dev/token', { method: 'POST', body: JSON.stringify({ name }) });
  if (!res.ok) return undefined; // no dev login here: watch anonymously
  return (await res.json()).token;
}

function send(msg) {
  ws.send(JSON.stringify({ ...msg, ref: ref++ }));
}

async function connect() {
  ws?.close();
  stream = $('stream').value.trim();
  const t = await token($('name').value.trim());
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (t) url.searchParams.set('token', t);
  ws = new WebSocket(url, ['roar.v1.json']);
  $('status').textContent = 'connecting…';
  ws.onopen = () => send({ type: 'join', stream });
  ws.onclose = (e) => {
    $('status').textContent = `closed (${e.code})`;
    $('text').disabled = $('send').disabled = true;
  };
  ws.onmessage = (e) => handle(JSON.parse(e.data));
}

function handle(m) {
  switch (m.type) {
    case 'welcome':
      $('status').textContent = m.user ? `signed in as ${m.user.name}` : 'watching anonymously';
      break;
    case 'joined':
      $('chat').replaceChildren();
      for (const c of m.history) line(c.user.name, c.text);
      $('count').textContent = m.viewers.text;
      $('text').disabled = $('send').disabled = false;
      $('reactions').replaceChildren(
        ...m.reactions.map((emoji) => {
          const b = document.createElement('button');
          b.textContent = emoji;
          b.onclick = () => send({ type: 'react', stream, emoji });
          return b;
        }),
      );
      break;
    case 'batch':
      for (const ev of m.events) {
        if (ev.type === 'chat') line(ev.user.name, ev.text);
        else if (ev.type === 'viewers') $('count').textContent = ev.text;
        else if (ev.type === 'reactions') burst(ev.counts);
      }
      break;
    case 'error':
      line('', `${m.code}: ${m.message}`, true);
      break;
  }
}

$('connect').onclick = connect;
$('send').onclick = () => {
  const text = $('text').value;
  if (!text.trim()) return;
  send({ type: 'chat', stream, text });
  $('text').value = '';
};
$('text').onkeydown = (e) => {
  if (e.key === 'Enter') $('send').click();
};
