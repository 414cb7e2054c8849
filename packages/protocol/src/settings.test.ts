import { describe, expect, it } from 'vitest';
import { publicSettings, type StreamSettings } from './settings.js';

const settings: StreamSettings = {
  chatEnabled: true,
  slowModeS: 5,
  emoteOnly: false,
  subscribersOnly: true,
  followersOnly: false,
  uniqueChat: true,
  holdS: 2,
  maxLength: 280,
  reactions: ['🔥', '👏🏽'],
  reactionsEnabled: true,
  bannedTerms: ['spam'],
  links: 'moderators',
};

describe('publicSettings', () => {
  it('tells viewers every public field, in order, and neither moderators’ field', () => {
    const shown = publicSettings(settings);
    expect(Object.keys(shown)).toEqual([
      'chatEnabled',
      'slowModeS',
      'emoteOnly',
      'subscribersOnly',
      'followersOnly',
      'uniqueChat',
      'maxLength',
      'reactions',
      'reactionsEnabled',
      'links',
    ]);
    const { holdS: _hold, bannedTerms: _terms, ...rest } = settings;
    expect(shown).toEqual(rest);
  });

  it('leaves out anything stored beside the settings, and shares no array with them', () => {
    const stored = { ...settings, legacyField: 'secret' } as StreamSettings;
    const shown = publicSettings(stored);
    expect(shown).not.toHaveProperty('legacyField');
    shown.reactions.push('❤️');
    expect(settings.reactions).toEqual(['🔥', '👏🏽']);
  });
});
