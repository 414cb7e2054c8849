import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain ESM JavaScript, without types
import { PERF_HZ, splitPerfScript } from '../bench/lib/perf-split.mjs';

// The storm mode's CPU split (`npm run bench -- --storm`) reads `perf script` output: each sample
// a thread id, then its call chain leaf first. These are its shapes, cut from a real run.

const NODE = '/usr/bin/node';
const MAP = '/tmp/perf-1.map';
const sample = (tid: number, frames: [string, string][]) =>
  [
    `${tid} `,
    ...frames.map(([sym, dso], i) => `\t    ${(0x1000 + i).toString(16)} ${sym} (${dso})`),
  ].join('\n');

const write = sample(1, [
  ['tcp_sendmsg_locked', '[kernel.kallsyms]'],
  ['__sys_sendto', '[kernel.kallsyms]'],
  ['__x64_sys_sendto', '[kernel.kallsyms]'],
  ['do_syscall_64', '[kernel.kallsyms]'],
  ['us_socket_write', '/x/uws_linux_x64_127.node'],
]);
const wait = sample(1, [
  ['finish_task_switch.isra.0', '[kernel.kallsyms]'],
  ['do_epoll_wait', '[kernel.kallsyms]'],
  ['__x64_sys_epoll_pwait', '[kernel.kallsyms]'],
]);
const chat = sample(1, [
  ['Builtins_LoadIC_Megamorphic', NODE],
  ['JS:*decode file:///w/services/gateway/dist/connection/frame-check.js:26:11', MAP],
  ['JS:*message file:///w/services/gateway/dist/transport/uws.js:53:22', MAP],
  ['node::MakeCallback', NODE],
]);
const tick = sample(1, [
  ['JS:*flush file:///w/services/gateway/dist/streams/fanout.js:10:3', MAP],
  ['JS:^listOnTimeout node:internal/timers:526:25', MAP],
  ['JS:^processTimers node:internal/timers:506:25', MAP],
]);
const native = sample(1, [['uWS::Loop::run', '/x/uws_linux_x64_127.node']]);
const gc = sample(2, [['v8::internal::ConcurrentMarking::RunMajor', NODE]]);

describe('perf split', () => {
  it('puts each sample where its call chain says, the main thread being the busiest', () => {
    const text = [write, write, wait, chat, chat, chat, tick, native, gc].join('\n\n') + '\n';
    const split = splitPerfScript(text);
    const s = (n: number) => Math.round((n / PERF_HZ) * 1000) / 1000;
    expect(split.samples).toBe(9);
    expect(split.cpuS).toEqual({
      socketWrites: s(2),
      loopWaits: s(1),
      socketReads: 0,
      otherKernel: 0,
      socketCallbacks: s(3),
      timers: s(1),
      immediates: 0,
      mainNative: s(1),
      otherThreads: s(1),
    });
    expect(split.top[0]).toEqual({
      fn: 'message gateway/dist/transport/uws.js:53:22',
      cpuS: s(3),
    });
  });
});
