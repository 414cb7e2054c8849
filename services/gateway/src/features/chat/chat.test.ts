import { Subjects } from '@roar/bus';
import { describe, expect, it, vi } from 'vitest';
import type { StreamState } from '../../streams/stream-state.js';
import { FeatureRegistry } from '../registry.js';
import { Chat, type ChatOptions } from './chat.js';

describe('Chat', () => {
  // A stream's first message must not be the first to run a branch of `#publish`: V8 throws
  // optimized code back to its baseline tier at a branch it has no feedback for, for thousands
  // of calls (seen in the chat-storm bench as `^#publish` under perf, from the storm's first chat).
  it('builds a stream’s chat subject when the gateway starts holding it, again after forgetting it', () => {
    const subjects = new Subjects('t');
    const built = vi.spyOn(subjects, 'stream');
    const config = { chatRatePerS: 1, chatBurst: 1, anonymousChat: false };
    const features = new FeatureRegistry([new Chat({ config, subjects } as ChatOptions)]);
    const state = { id: 's' } as StreamState;

    void features.open(state);
    expect(built.mock.calls).toEqual([['s', 'chat']]);
    features.forget('s');
    void features.open(state);
    expect(built.mock.calls).toEqual([
      ['s', 'chat'],
      ['s', 'chat'],
    ]);
  });
});
