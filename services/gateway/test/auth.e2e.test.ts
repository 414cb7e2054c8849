import { CloseCode, ErrorCode } from '@roar/protocol';
import { TestClient } from '@roar/testkit';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, startServer, token } from './harness.js';

/** The frames and close code a client gets when its token is refused. */
async function refused(url: string, t: string): Promise<{ code: number; error: unknown }> {
  const client = await TestClient.connect(url, { token: t });
  const closed = await client.closed;
  return { code: closed.code, error: client.messages.find((m) => m.type === 'error') };
}

describe('identity: HS256', () => {
  it('accepts a valid token and carries sub, name and roles', async () => {
    await using server = await startServer();
    const c = await server.connect({
      user: 'asha',
      name: 'Asha K',
      roles: ['moderator:final', 'junk role'],
    });
    const welcome = await c.waitForMessage((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({
      user: { id: 'asha', name: 'Asha K', roles: ['moderator:final'] },
    });
  });

  it('accepts the token as a query parameter (browsers cannot set headers)', async () => {
    await using server = await startServer();
    const c = await TestClient.connect(server.wsUrl, { query: { token: await token('q') } });
    expect(await c.waitForMessage((m) => m.type === 'welcome')).toMatchObject({
      user: { id: 'q' },
    });
  });

  it('refuses bad tokens with an error frame and a do-not-reconnect close', async () => {
    await using server = await startServer();
    const wrongKey = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-xx'));
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: 'mallory', exp: Date.now() / 1000 + 3600 }),
    ).toString('base64url');
    const unsigned = `${header}.${body}.`;
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_SECRET));
    for (const t of [wrongKey, unsigned, noSub, 'not-a-jwt', `${await token('a')}x`]) {
      const r = await refused(server.wsUrl, t);
      expect(r.code).toBe(CloseCode.Unauthorized);
      expect(r.error).toMatchObject({ type: 'error', code: ErrorCode.TokenInvalid });
    }
  });

  it('tells an expired token apart, so the client refreshes it', async () => {
    await using server = await startServer();
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('late')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_SECRET));
    const r = await refused(server.wsUrl, expired);
    expect(r.code).toBe(CloseCode.TokenExpired);
    expect(r.error).toMatchObject({ code: ErrorCode.TokenExpired });
  });

  it('refuses anonymous viewers when anonymity is off', async () => {
    await using server = await startServer({ ROAR_ALLOW_ANONYMOUS: 'false' });
    const c = await TestClient.connect(server.wsUrl);
    expect((await c.closed).code).toBe(CloseCode.Unauthorized);
    expect(c.messages[0]).toMatchObject({ type: 'error', code: ErrorCode.Unauthenticated });
  });

  it('keeps frames sent before the welcome and answers them after it', async () => {
    await using server = await startServer();
    const c = await TestClient.connect(server.wsUrl, { token: await token('eager') });
    c.send({ type: 'join', ref: 1, stream: 'early' });
    const joined = await c.waitForMessage((m) => m.type === 'joined');
    expect(c.messages.findIndex((m) => m.type === 'welcome')).toBeLessThan(
      c.messages.indexOf(joined),
    );
  });

  it('checks issuer and audience when configured', async () => {
    await using server = await startServer({
      ROAR_JWT_ISSUER: 'https://id.example',
      ROAR_JWT_AUDIENCE: 'roar',
    });
    const sign = (iss: string, aud: string): Promise<string> =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('i')
        .setIssuer(iss)
        .setAudience(aud)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(TEST_SECRET));
    const ok = await TestClient.connect(server.wsUrl, {
      token: await sign('https://id.example', 'roar'),
    });
    await ok.waitForMessage((m) => m.type === 'welcome');
    expect((await refused(server.wsUrl, await sign('https://evil.example', 'roar'))).code).toBe(
      CloseCode.Unauthorized,
    );
    expect((await refused(server.wsUrl, await sign('https://id.example', 'other'))).code).toBe(
      CloseCode.Unauthorized,
    );
  });
});

describe('identity: RS256 public key and ES256 JWKS', () => {
  let jwksServer: Server;
  let jwksUrl: string;
  type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let esKey: PrivateKey;
  let rsKey: PrivateKey;
  let rsPublicPem: string;

  beforeAll(async () => {
    const rs = await generateKeyPair('RS256');
    rsKey = rs.privateKey;
    rsPublicPem = await exportSPKI(rs.publicKey);
    const es = await generateKeyPair('ES256');
    esKey = es.privateKey;
    const jwk = { ...(await exportJWK(es.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const address = jwksServer.address();
    jwksUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => jwksServer.close(() => r())));

  it('verifies RS256 with a PEM public key and ES256 through a JWKS', async () => {
    await using server = await startServer({
      ROAR_JWT_PUBLIC_KEY: rsPublicPem,
      ROAR_JWT_JWKS_URL: jwksUrl,
    });
    const rsToken = await new SignJWT({ name: 'Rita' })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('rita')
      .setExpirationTime('1h')
      .sign(rsKey);
    const esToken = await new SignJWT({ name: 'Esa' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('esa')
      .setExpirationTime('1h')
      .sign(esKey);
    const r = await TestClient.connect(server.wsUrl, { token: rsToken });
    expect(await r.waitForMessage((m) => m.type === 'welcome')).toMatchObject({
      user: { id: 'rita' },
    });
    const e = await TestClient.connect(server.wsUrl, { token: esToken });
    expect(await e.waitForMessage((m) => m.type === 'welcome')).toMatchObject({
      user: { id: 'esa' },
    });
    // An HS256 token signed with the public key as a secret (the classic confusion attack).
    const confused = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(rsPublicPem));
    expect((await refused(server.wsUrl, confused)).code).toBe(CloseCode.Unauthorized);
  });
});
