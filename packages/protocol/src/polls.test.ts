import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { parsePollSpec, pollPercents } from './polls.js';
import { parseClientMessage } from './validate.js';

const fails = (value: unknown, code: string = ErrorCode.InvalidField) =>
  expect(() => parseClientMessage(value)).toThrow(expect.objectContaining({ code }));

describe('poll messages', () => {
  it('parses a vote and the two poll commands, keeping the ref', () => {
    expect(
      parseClientMessage({ type: 'vote', ref: 3, stream: 's', poll: 'p1', option: 2 }),
    ).toEqual({ type: 'vote', ref: 3, stream: 's', poll: 'p1', option: 2 });
    expect(
      parseClientMessage({
        type: 'poll',
        stream: 's',
        action: {
          type: 'open',
          question: ' Who? ',
          options: ['a', ' b '],
          durationS: 30,
          correct: 1,
        },
      }),
    ).toEqual({
      type: 'poll',
      stream: 's',
      action: { type: 'open', question: 'Who?', options: ['a', 'b'], durationS: 30, correct: 1 },
    });
    expect(
      parseClientMessage({ type: 'poll', stream: 's', action: { type: 'close', poll: 'p1' } }),
    ).toEqual({ type: 'poll', stream: 's', action: { type: 'close', poll: 'p1' } });
  });

  it('refuses malformed votes and polls with invalid_field', () => {
    fails({ type: 'vote', stream: 's', poll: 'p1', option: 6 });
    fails({ type: 'vote', stream: 's', poll: 'p1', option: 1.5 });
    fails({ type: 'vote', stream: 's', poll: 'has space', option: 0 });
    fails({ type: 'vote', stream: 's', poll: 'p1', option: 0, extra: 1 });
    fails({ type: 'vote', stream: 'bad stream', poll: 'p1', option: 0 }, ErrorCode.InvalidStream);
    fails({ type: 'poll', stream: 's', action: { type: 'reopen' } });
    fails({ type: 'poll', stream: 's', action: { type: 'close', poll: 'p1', why: 'x' } });
    const open = (over: Record<string, unknown>) => ({
      type: 'poll',
      stream: 's',
      action: { type: 'open', question: 'Q', options: ['a', 'b'], ...over },
    });
    fails(open({ options: ['only one'] }));
    fails(open({ options: ['1', '2', '3', '4', '5', '6', '7'] }));
    fails(open({ options: ['same', 'same'] }));
    fails(open({ options: ['a', ''] }));
    fails(open({ question: 'x'.repeat(201) }));
    fails(open({ durationS: 4 }));
    fails(open({ durationS: 86_401 }));
    fails(open({ correct: 2 }));
    fails(open({ allowChange: 'yes' }));
    fails(open({ colour: 'red' }));
  });

  it('parses an admin body with the same rules', () => {
    expect(parsePollSpec({ question: 'Q', options: ['a', 'b'], anonymous: true })).toEqual({
      question: 'Q',
      options: ['a', 'b'],
      anonymous: true,
    });
    expect(() => parsePollSpec({ question: 'Q', options: ['a', 'b'], type: 'open' })).toThrow(
      /unknown field/,
    );
  });
});

describe('pollPercents', () => {
  it('rounds to whole percentages that add up to 100, largest remainders first', () => {
    expect(pollPercents([0, 0, 0])).toEqual([0, 0, 0]);
    expect(pollPercents([1, 1, 1])).toEqual([34, 33, 33]);
    expect(pollPercents([2, 1])).toEqual([67, 33]);
    expect(pollPercents([1, 0, 999])).toEqual([0, 0, 100]);
    for (const votes of [
      [7, 3, 3, 3],
      [1, 2, 3, 4, 5, 6],
      [123_456, 654_321, 1],
    ])
      expect(pollPercents(votes).reduce((a, b) => a + b, 0)).toBe(100);
  });
});
