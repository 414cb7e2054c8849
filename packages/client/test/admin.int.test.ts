import { describe, expect, it } from 'vitest';
import { AdminApiError, AdminClient } from '../src/admin.js';
import { startServer, token } from './gateway-server.js';

const API_KEY = 'client-admin-key-0123456789abcdef0123456789';

describe('AdminClient against a real gateway', () => {
  it('runs typed operations end to end, with the types the server answers', async () => {
    await using server = await startServer({ ROAR_ADMIN_API_KEYS: `ops:${API_KEY}` });
    const baseUrl = server.url.replace(/^ws/, 'http').replace(/\/ws$/, '');
    const admin = new AdminClient({ baseUrl, apiKey: API_KEY });
    const { ban } = await admin.call('timeoutUser', {
      stream: 's',
      body: { userId: 'u1', seconds: 60, reason: 'spam' },
    });
    expect(ban).toMatchObject({ userId: 'u1', scope: 's', reason: 'spam' });
    expect(typeof ban.until).toBe('number');
    const { settings } = await admin.call('updateSettings', {
      stream: 's',
      body: { slowModeS: 5, links: 'block' },
    });
    expect(settings).toMatchObject({ slowModeS: 5, links: 'block' });
    const { entries } = await admin.call('getAudit', { stream: 's', query: { limit: 1 } });
    expect(entries.map((e) => e.action)).toEqual(['settings']);
    expect(await admin.call('getDegradation')).toEqual({ level: 0, pinned: null });

    const moderator = new AdminClient({
      baseUrl,
      token: () => token('mod', '1h', { roles: ['moderator:s'] }),
    });
    const refused = await moderator.call('listGlobalBans').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AdminApiError);
    expect(refused).toMatchObject({ status: 403, code: 'forbidden' });
    const bad = await moderator
      .call('postAnnouncement', { stream: 's', body: { text: 'two\nlines' } })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_field' });
  });
});
