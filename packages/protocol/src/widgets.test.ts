import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { parseClientMessage } from './validate.js';
import { StateLimits, stateValueJson, utf8Bytes } from './widgets.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('live-state values and widget requests', () => {
  it('takes JSON up to the byte and depth limits, measured as compact UTF-8', () => {
    expect(stateValueJson({ home: 120, away: [3, null, true], note: 'é' })).toBe(
      '{"home":120,"away":[3,null,true],"note":"é"}',
    );
    const fits = 'x'.repeat(StateLimits.valueMaxBytes - 2);
    expect(stateValueJson(fits)).toBe(`"${fits}"`);
    expect(code(() => stateValueJson(`${fits}x`))).toBe(ErrorCode.StateValueTooLarge);
    // Two bytes per é: half as many fit.
    expect(code(() => stateValueJson('é'.repeat(StateLimits.valueMaxBytes / 2)))).toBe(
      ErrorCode.StateValueTooLarge,
    );
    let deep: unknown = 1;
    for (let i = 0; i < StateLimits.valueMaxDepth; i++) deep = [deep];
    expect(stateValueJson(deep)).toBe('[[[[[[[[1]]]]]]]]');
    expect(code(() => stateValueJson([deep]))).toBe(ErrorCode.StateValueTooLarge);
    for (const bad of [undefined, Number.NaN, Infinity, new Uint8Array(2), new Date(), () => 1])
      expect(
        code(() => stateValueJson(bad)),
        String(bad),
      ).toBe(ErrorCode.InvalidField);
    expect(code(() => stateValueJson('\ud800'))).toBe(ErrorCode.InvalidUtf8);
    expect(utf8Bytes('a€😀')).toBe(1 + 3 + 4);
  });

  it('parses a widget request strictly, with its ref on every error', () => {
    expect(
      parseClientMessage({
        type: 'widget',
        ref: 4,
        stream: 's',
        key: 'score.home',
        op: 'set',
        value: 1,
        ifVersion: 0,
        idempotencyKey: 'a:b.c-1',
      }),
    ).toEqual({
      type: 'widget',
      ref: 4,
      stream: 's',
      key: 'score.home',
      op: 'set',
      value: 1,
      ifVersion: 0,
      idempotencyKey: 'a:b.c-1',
    });
    expect(parseClientMessage({ type: 'widget', stream: 's', key: 'k', op: 'delete' })).toEqual({
      type: 'widget',
      stream: 's',
      key: 'k',
      op: 'delete',
    });
    const bad: Record<string, unknown>[] = [
      { key: '', op: 'set', value: 1 },
      { key: '.k', op: 'set', value: 1 },
      { key: 'k'.repeat(33), op: 'set', value: 1 },
      { key: 'k', op: 'put', value: 1 },
      { key: 'k', op: 'patch', value: [1] },
      { key: 'k', op: 'set', value: 1, ifVersion: -1 },
      { key: 'k', op: 'set', value: 1, ifVersion: 1.5 },
      { key: 'k', op: 'set', value: 1, idempotencyKey: 'has space' },
      { key: 'k', op: 'set', value: 1, extra: true },
    ];
    for (const fields of bad) {
      let error: unknown;
      try {
        parseClientMessage({ type: 'widget', ref: 9, stream: 's', ...fields });
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(fields)).toMatchObject({ code: ErrorCode.InvalidField, ref: 9 });
    }
    expect(parseClientMessage({ type: 'join', stream: 's', stateVersion: 12 })).toEqual({
      type: 'join',
      stream: 's',
      stateVersion: 12,
    });
    expect(code(() => parseClientMessage({ type: 'join', stream: 's', stateVersion: 'x' }))).toBe(
      ErrorCode.InvalidField,
    );
  });
});
