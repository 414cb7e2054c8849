import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from './errors.js';
import { parseClientMessage } from './validate.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseClientMessage', () => {
  it('accepts every message type with exactly its fields', () => {
    expect(
      parseClientMessage({ type: 'join', ref: 1, stream: 'final-2026', since: 'abc' }),
    ).toEqual({
      type: 'join',
      ref: 1,
      stream: 'final-2026',
      since: 'abc',
    });
    expect(parseClientMessage({ type: 'leave', stream: 's' })).toEqual({
      type: 'leave',
      stream: 's',
    });
    expect(parseClientMessage({ type: 'chat', ref: 7, stream: 's', text: 'hi' })).toEqual({
      type: 'chat',
      ref: 7,
      stream: 's',
      text: 'hi',
    });
    expect(parseClientMessage({ type: 'react', stream: 's', emoji: '🔥' })).toEqual({
      type: 'react',
      stream: 's',
      emoji: '🔥',
    });
    expect(parseClientMessage({ type: 'ping' })).toEqual({ type: 'ping' });
  });

  it('rejects frames that are not objects', () => {
    for (const v of [null, 1, 'join', [], [{ type: 'ping' }], new Uint8Array(2)]) {
      expect(codeOf(() => parseClientMessage(v))).toBe(ErrorCode.BadFrame);
    }
  });

  it('rejects unknown types and unknown fields', () => {
    expect(codeOf(() => parseClientMessage({ type: 'hack' }))).toBe(ErrorCode.UnknownType);
    expect(codeOf(() => parseClientMessage({ type: 'toString' }))).toBe(ErrorCode.UnknownType);
    expect(codeOf(() => parseClientMessage({ type: 'ping', extra: 1 }))).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf(() => parseClientMessage({ stream: 's' }))).toBe(ErrorCode.InvalidField);
  });

  it('rejects wrong field types and keeps the ref for the reply', () => {
    try {
      parseClientMessage({ type: 'chat', ref: 9, stream: 's', text: 42 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe(ErrorCode.InvalidField);
      expect((e as ProtocolError).ref).toBe(9);
      expect((e as ProtocolError).message).toContain('text');
    }
    expect(codeOf(() => parseClientMessage({ type: 'ping', ref: -1 }))).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf(() => parseClientMessage({ type: 'ping', ref: 1.5 }))).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf(() => parseClientMessage({ type: 'ping', ref: 2 ** 32 }))).toBe(
      ErrorCode.InvalidField,
    );
    expect(codeOf(() => parseClientMessage({ type: 'join', stream: 5 }))).toBe(
      ErrorCode.InvalidField,
    );
  });

  it('rejects invalid stream ids', () => {
    for (const stream of ['', 'a.b', 'a b', 'x'.repeat(65), 'über', 'a*', 'a>']) {
      expect(codeOf(() => parseClientMessage({ type: 'join', stream }))).toBe(
        ErrorCode.InvalidStream,
      );
    }
  });

  it('rejects strings that are not clean UTF-8 and oversize strings', () => {
    expect(codeOf(() => parseClientMessage({ type: 'chat', stream: 's', text: 'a\uD800b' }))).toBe(
      ErrorCode.InvalidUtf8,
    );
    expect(codeOf(() => parseClientMessage({ type: 'chat', stream: 's', text: 'a\uFFFD' }))).toBe(
      ErrorCode.InvalidUtf8,
    );
    expect(
      codeOf(() => parseClientMessage({ type: 'chat', stream: 's', text: 'x'.repeat(1001) })),
    ).toBe(ErrorCode.InvalidField);
    expect(
      codeOf(() => parseClientMessage({ type: 'react', stream: 's', emoji: 'x'.repeat(40) })),
    ).toBe(ErrorCode.InvalidField);
  });

  it('treats __proto__ as the unknown field it is', () => {
    const frame: unknown = JSON.parse('{"type":"ping","__proto__":{"admin":true}}');
    expect(codeOf(() => parseClientMessage(frame))).toBe(ErrorCode.InvalidField);
  });
});

describe('moderation commands', () => {
  it('parses every action strictly', () => {
    expect(
      parseClientMessage({
        type: 'mod',
        ref: 1,
        stream: 's',
        action: { type: 'timeout', userId: 'u1', seconds: 60, reason: 'spam' },
      }),
    ).toEqual({
      type: 'mod',
      ref: 1,
      stream: 's',
      action: { type: 'timeout', userId: 'u1', seconds: 60, reason: 'spam' },
    });
    expect(
      parseClientMessage({
        type: 'mod',
        stream: 's',
        action: { type: 'settings', settings: { slowModeS: 10, links: 'block' } },
      }),
    ).toMatchObject({
      action: { settings: { slowModeS: 10, links: 'block' } },
    });
    const bad: unknown[] = [
      { type: 'nuke' },
      { type: 'timeout', userId: 'u1', seconds: 0 },
      { type: 'timeout', userId: 'u1', seconds: 10 ** 9 },
      { type: 'ban', userId: 'has space' },
      { type: 'delete', id: 'x', extra: 1 },
      { type: 'settings', settings: { slowModeS: -1 } },
      { type: 'settings', settings: { turbo: true } },
      { type: 'settings', settings: { reactions: [] } },
      { type: 'announce', text: 7 },
      'delete',
    ];
    for (const action of bad) {
      expect(codeOf(() => parseClientMessage({ type: 'mod', ref: 3, stream: 's', action }))).toBe(
        ErrorCode.InvalidField,
      );
    }
  });
});
