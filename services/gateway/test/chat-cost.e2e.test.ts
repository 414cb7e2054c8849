import { TestClient } from '@roar/testkit';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnGateway, type GatewayProcess } from './gateway-process.js';
import { token } from './harness.js';

/** Linux reports process CPU in clock ticks of 10 ms (`getconf CLK_TCK` = 100). */
const TICK_MS = 10;
const STREAM = 'cost';
/** The per-connection frame limit is not what is measured here. */
const FRAMES = { ROAR_FRAME_RATE: '10000', ROAR_FRAME_BURST: '10000' };

/** CPU (user + system) the process has used so far, in milliseconds. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** A letters-only tag, so texts differ (duplicate and unique-chat checks) without digits. */
function tag(i: number): string {
  let out = '';
  for (let n = i + 1; n > 0; n = Math.floor(n / 26)) out += String.fromCharCode(97 + (n % 26));
  return out;
}

async function viewer(gw: GatewayProcess, user: string, roles: string[] = []): Promise<TestClient> {
  const c = await TestClient.connect(gw.wsUrl, { token: await token(user, { roles }) });
  await c.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
  const joined = await c.request({ type: 'join', stream: STREAM }, 10_000);
  if (joined.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
  return c;
}

/** The worst banned-term list found: 200 terms of 31 words that all start "a a a …". */
const CRAFTED_TERMS = Array.from({ length: 200 }, (_, i) => `${'a '.repeat(30)}z${tag(i)}`);

/** The crafted texts: each was, or could have been, far dearer than a plain message. */
const CRAFTED: Record<string, (i: number) => string> = {
  // Every position starts all 200 terms (5.7 ms a message with the term-by-term matcher).
  'a a a … against 31-word terms': (i) => `${'a '.repeat(240)}${tag(i)}`,
  // NFKD ×18: 9,000 characters to fold and split from 500.
  'U+FDFA ×490': (i) => `${'\ufdfa'.repeat(490)} ${tag(i)}`,
  // NFKD ×4 (the most the fold allows), each piece a word.
  '⑽ ×480': (i) => `${'⑽'.repeat(480)} ${tag(i)}`,
  // With \b, the domain pattern was tried from every hyphen (quadratic).
  'a-a-a-….x (link pattern)': (i) => `${'a-'.repeat(240)}.x${tag(i)}`,
  // Every word takes the look-alike path.
  'look-alike symbols': (i) => `${'$@1|0 '.repeat(80)}${tag(i)}`,
  'accents and single letters': (i) => `${'á '.repeat(240)}${tag(i)}`,
};

/**
 * Sends `texts` from `client` with `window` in flight, and waits for every reply and for the
 * broadcast of the last accepted message (fanout included). Replies are read off the socket
 * directly: scanning the client's whole log per reply made the test, not the server, the cost.
 */
async function send(client: TestClient, texts: string[], window = 50): Promise<string[]> {
  const codes: string[] = [];
  let lastAccepted: string | undefined;
  let broadcast = false;
  let inFlight = 0;
  let wake: () => void = () => {};
  const onMessage = (data: Buffer, isBinary: boolean): void => {
    const m = client.codec.decodeServer(isBinary ? new Uint8Array(data) : data.toString('utf8'));
    if (m.type === 'ack' || (m.type === 'error' && m.ref !== undefined)) {
      codes.push(m.type === 'error' ? m.code : 'ack');
      if (m.type === 'ack') lastAccepted = m.id;
      inFlight--;
      wake();
    } else if (
      m.type === 'batch' &&
      m.events.some((e) => e.type === 'chat' && e.id === lastAccepted)
    ) {
      broadcast = true;
      wake();
    }
  };
  client.socket.on('message', onMessage);
  const until = async (done: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  };
  try {
    for (const [i, text] of texts.entries()) {
      await until(() => inFlight < window, 'replies');
      inFlight++;
      client.send({ type: 'chat', stream: STREAM, text, ref: i + 1 });
    }
    await until(() => inFlight === 0, 'the last replies');
    broadcast = false;
    if (lastAccepted !== undefined) {
      // The broadcast may have come before the last ack: the history says so.
      const id = lastAccepted;
      await until(
        () =>
          broadcast ||
          client.messages.some(
            (m) => m.type === 'batch' && m.events.some((e) => e.type === 'chat' && e.id === id),
          ),
        'the last accepted message, broadcast',
      );
    }
  } finally {
    client.socket.off('message', onMessage);
    client.messages.length = 0;
    client.arrivals.length = 0;
  }
  return codes;
}

/** CPU per message of `texts`, sent by `senders` in parallel. */
async function measure(
  pid: number,
  senders: TestClient[],
  texts: (i: number) => string,
  perSender: number,
): Promise<{ msPerMessage: number; codes: Map<string, number> }> {
  const before = cpuMs(pid);
  const all = await Promise.all(
    senders.map((c, k) =>
      send(
        c,
        Array.from({ length: perSender }, (_, i) => texts(k * perSender + i)),
      ),
    ),
  );
  const spent = cpuMs(pid) - before;
  const codes = new Map<string, number>();
  for (const code of all.flat()) codes.set(code, (codes.get(code) ?? 0) + 1);
  return { msPerMessage: spent / (senders.length * perSender), codes };
}

async function protect(gw: GatewayProcess): Promise<void> {
  const res = await fetch(`${gw.httpUrl}/admin/v1/streams/${STREAM}/settings`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${await token('mod', { roles: [`moderator:${STREAM}`] })}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ bannedTerms: CRAFTED_TERMS, links: 'block', uniqueChat: true }),
  });
  expect(res.status, await res.text()).toBe(200);
}

describe('chat CPU cost', () => {
  it('no crafted text costs the gateway more than 10× a plain message (accepted path)', async () => {
    // A generous rate limit, so every message runs every check.
    await using gw = await spawnGateway({
      ...FRAMES,
      ROAR_CHAT_RATE: '1000',
      ROAR_CHAT_BURST: '1000',
    });
    await protect(gw);
    const plainSenders = await Promise.all([0, 1, 2, 3].map((k) => viewer(gw, `plain-${k}`)));
    const names = Object.keys(CRAFTED);
    const crafted = await Promise.all(names.map((_, k) => viewer(gw, `crafted-${k}`)));
    // Warm the JIT on both kinds before measuring.
    await send(plainSenders[0] as TestClient, ['warm up', 'warm up again']);

    const plain = await measure(gw.pid, plainSenders, (i) => `what a shot ${tag(i)}`, 400);
    expect(plain.codes.get('ack')).toBe(1600);
    const report = [`plain: ${(plain.msPerMessage * 1000).toFixed(0)} µs`];
    const ratios: [string, number][] = [];
    for (const [k, name] of names.entries()) {
      const r = await measure(gw.pid, [crafted[k] as TestClient], CRAFTED[name]!, 300);
      report.push(
        `${name}: ${(r.msPerMessage * 1000).toFixed(0)} µs ${JSON.stringify([...r.codes])}`,
      );
      ratios.push([name, r.msPerMessage / plain.msPerMessage]);
    }
    console.log(`chat CPU per message\n  ${report.join('\n  ')}`);
    for (const [name, ratio] of ratios)
      expect(ratio, `${name}: ${report.join('; ')}`).toBeLessThan(10);
  }, 180_000);

  it('a message refused as rate_limited pays nothing for the text checks', async () => {
    await using gw = await spawnGateway({ ...FRAMES, ROAR_CHAT_RATE: '1', ROAR_CHAT_BURST: '3' });
    await protect(gw);
    const plainSender = await viewer(gw, 'plain');
    const attacker = await viewer(gw, 'attacker');
    await send(plainSender, ['warm up', 'warm up again']);
    const plain = await measure(gw.pid, [plainSender], (i) => `what a shot ${tag(i)}`, 1500);
    const crafted = await measure(
      gw.pid,
      [attacker],
      CRAFTED['a a a … against 31-word terms']!,
      1500,
    );
    expect(crafted.codes.get('rate_limited')).toBeGreaterThanOrEqual(1490);
    const report = `plain ${(plain.msPerMessage * 1000).toFixed(0)} µs, crafted ${(crafted.msPerMessage * 1000).toFixed(0)} µs a frame`;
    console.log(`rate-limited frames: ${report}`);
    expect(crafted.msPerMessage / plain.msPerMessage, report).toBeLessThan(3);
  }, 180_000);
});
