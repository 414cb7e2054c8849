import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from './errors.js';
import { Limits } from './limits.js';
import { parseClientMessage } from './validate.js';

// Q&A (issue 14): the requests' strict parsing.

function codeOf(value: unknown): string | undefined {
  try {
    parseClientMessage(value);
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseClientMessage: Q&A', () => {
  it('accepts ask, upvote, qa_mine and every qa_mod action with exactly their fields', () => {
    expect(parseClientMessage({ type: 'ask', ref: 1, stream: 's', text: 'why?' })).toEqual({
      type: 'ask',
      ref: 1,
      stream: 's',
      text: 'why?',
    });
    expect(parseClientMessage({ type: 'upvote', stream: 's', id: 'q0000000a' })).toEqual({
      type: 'upvote',
      stream: 's',
      id: 'q0000000a',
    });
    expect(parseClientMessage({ type: 'qa_mine', stream: 's' })).toEqual({
      type: 'qa_mine',
      stream: 's',
    });
    for (const type of ['open', 'close', 'unpick'])
      expect(parseClientMessage({ type: 'qa_mod', stream: 's', action: { type } })).toEqual({
        type: 'qa_mod',
        stream: 's',
        action: { type },
      });
    for (const type of ['hide', 'show', 'answer', 'pick'])
      expect(
        parseClientMessage({ type: 'qa_mod', stream: 's', action: { type, id: 'q1' } }),
      ).toEqual({ type: 'qa_mod', stream: 's', action: { type, id: 'q1' } });
  });

  it('refuses what does not fit, with the documented codes', () => {
    expect(codeOf({ type: 'ask', stream: 's' })).toBe(ErrorCode.InvalidField);
    expect(
      codeOf({ type: 'ask', stream: 's', text: 'x'.repeat(Limits.questionMaxChars * 2 + 1) }),
    ).toBe(ErrorCode.InvalidField);
    expect(codeOf({ type: 'ask', stream: 's', text: '\ud800' })).toBe(ErrorCode.InvalidUtf8);
    expect(codeOf({ type: 'upvote', stream: 's', id: 'bad id' })).toBe(ErrorCode.InvalidField);
    expect(codeOf({ type: 'upvote', stream: 's', id: 'q'.repeat(33) })).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf({ type: 'upvote', stream: 's', id: 'q1', extra: 1 })).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf({ type: 'qa_mod', stream: 's', action: { type: 'delete' } })).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf({ type: 'qa_mod', stream: 's', action: { type: 'pick' } })).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf({ type: 'qa_mod', stream: 's', action: { type: 'open', id: 'q1' } })).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf({ type: 'qa_mine', stream: 'no spaces' })).toBe(ErrorCode.InvalidStream);
  });
});
