import { describe, expect, it } from 'vitest';
import { canModerateStream, grantsRole, parseRole, parseRoles } from './roles.js';

describe('the role grammar', () => {
  it('parses admin and the stream-scoped roles, and nothing else', () => {
    expect(parseRole('admin')).toEqual({ name: 'admin', scope: undefined });
    expect(parseRole('moderator:s-1')).toEqual({ name: 'moderator', scope: 's-1' });
    expect(parseRole('subscriber:*')).toEqual({ name: 'subscriber', scope: '*' });
    for (const bad of [
      'moderator',
      'broadcaster',
      'admin:*',
      'admin:s',
      'vip:s',
      'moderator:',
      'moderator:a:b',
      'moderator:a b',
      `moderator:${'x'.repeat(65)}`,
      'Moderator:s',
      7,
      null,
    ]) {
      expect(parseRole(bad), String(bad)).toBeUndefined();
    }
    expect(parseRoles(['admin', 'junk', 'admin', 'follower:s'])).toEqual(['admin', 'follower:s']);
    expect(parseRoles('admin')).toEqual([]);
  });

  it('grants a role for its stream or every stream, admin only unscoped', () => {
    expect(grantsRole(['moderator:s'], 'moderator', 's')).toBe(true);
    expect(grantsRole(['moderator:s'], 'moderator', 't')).toBe(false);
    expect(grantsRole(['moderator:*'], 'moderator', 't')).toBe(true);
    expect(grantsRole(['moderator'], 'moderator', 's')).toBe(false);
    expect(grantsRole(['admin:*'], 'admin')).toBe(false);
    expect(grantsRole(['admin:s'], 'admin', 's')).toBe(false);
    expect(grantsRole(['admin'], 'admin', 's')).toBe(true);
    expect(canModerateStream(['broadcaster:s'], 's')).toBe(true);
    expect(canModerateStream(['broadcaster', 'subscriber:s'], 's')).toBe(false);
  });
});
