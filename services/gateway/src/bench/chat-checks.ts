import { BanList, StreamModeration } from '../moderation/rules/stream-moderation.js';
import { checkChat } from '../moderation/rules/chat-policy.js';
import { defaultSettings } from '../moderation/rules/settings.js';
import type { Identity } from '../base/identity.js';

/**
 * Micro-benchmark of a chat message's checks (`checkChat` over a stream's moderation state), in
 * one process: microseconds per message for a plain message on a stream without rules, on one
 * with 200 banned terms, links blocked and unique chat, and for the crafted texts of
 * `test/chat-cost.e2e.test.ts`. The end-to-end cost (socket, fanout) is that test's business.
 * Run: `node services/gateway/dist/bench/chat-checks.js` after `npm run build`.
 */
export function benchChatChecks(iterations = 10_000): Record<string, number> {
  const identity: Identity = {
    key: 'u:bench',
    userId: 'bench',
    name: 'bench',
    roles: [],
    anonymous: false,
  };
  const bare = new StreamModeration(defaultSettings(['🔥']));
  const ruled = new StreamModeration(defaultSettings(['🔥']));
  // Rules as loaded from the store: provisional ones refuse everything before the checks run.
  bare.confirm({ overrides: undefined, bans: [], pinned: undefined });
  ruled.confirm({
    overrides: {
      bannedTerms: Array.from({ length: 200 }, (_, i) => `${'a '.repeat(30)}z${i.toString(36)}`),
      links: 'block',
      uniqueChat: true,
    },
    bans: [],
    pinned: undefined,
  });
  const globalBans = new BanList();
  globalBans.replace([]);
  const cases: [string, StreamModeration, (i: number) => string][] = [
    ['plain, no rules', bare, (i) => `what a shot ${i}`],
    ['plain, 200 terms + links + unique', ruled, (i) => `what a shot ${i}`],
    ['a a a … vs 31-word terms', ruled, (i) => `${'a '.repeat(240)}q${i}`],
    ['U+FDFA ×490', ruled, (i) => `${'\ufdfa'.repeat(490)} ${i}`],
    ['⑽ ×480', ruled, (i) => `${'⑽'.repeat(480)} ${i}`],
    ['a-a-…-a.x', ruled, (i) => `${'a-'.repeat(240)}.x${i}`],
  ];
  const out: Record<string, number> = {};
  for (const [name, mod, text] of cases) {
    const n = name.startsWith('plain') ? iterations : Math.ceil(iterations / 20);
    const run = (count: number, offset: number): void => {
      for (let i = 0; i < count; i++) {
        try {
          checkChat({
            identity,
            stream: 's',
            text: text(offset + i),
            now: 0,
            mod,
            globalBans,
            charge: () => {},
          });
        } catch {
          // A refusal is a result too; its cost is what is measured.
        }
      }
    };
    run(Math.ceil(n / 10), 1e6);
    // The best of five rounds: the machine is shared, and noise only ever adds time.
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const started = process.hrtime.bigint();
      run(n, round * n);
      best = Math.min(best, Number(process.hrtime.bigint() - started) / n / 1000);
    }
    out[name] = best;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, us] of Object.entries(benchChatChecks()))
    console.log(`${name.padEnd(36)} ${us.toFixed(2)} µs`);
}
