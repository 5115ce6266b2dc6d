import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rsaPublicJwk } from '../../shared/adapters/crypto/rsa-public-jwk.ts';
import type { SigningJwk } from '../../shared/core/assertion-signer.ts';
import { ConfigInvalidError } from '../../shared/core/errors.ts';
import { buildJwksDocument, buildJwksResponse } from '../../shared/core/jwks-document.ts';

const newKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const current = newKey();
const previous = newKey();

describe('the JWKS document', () => {
  it('publishes only kty, n, e, kid, alg and use, even when handed a private JWK', async () => {
    const jwk = await rsaPublicJwk(current.publicKey);
    // A private JWK (d, p, q, ...) passed by mistake: none of it may reach the document.
    const privateJwk = { ...current.privateKey.export({ format: 'jwk' }), kid: jwk.kid, x5c: ['cert'] };
    const document = buildJwksDocument({ current: privateJwk as unknown as SigningJwk });
    expect(document.keys).toHaveLength(1);
    for (const key of document.keys)
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(document.keys[0]).toEqual(jwk);
    const body = buildJwksResponse({ current: privateJwk as unknown as SigningJwk }).body;
    const secretMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;
    for (const member of secretMembers) expect(body).not.toContain(String(privateJwk[member]));
    expect(body).not.toContain('"d"');
  });

  it('lists the current key first and the previous keys after it during a rotation overlap', async () => {
    const now = await rsaPublicJwk(current.publicKey);
    const before = await rsaPublicJwk(previous.publicKey);
    const document = buildJwksDocument({ current: now, previous: [before, now] });
    expect(document.keys.map((key) => key.kid)).toEqual([now.kid, before.kid]);
  });

  it('answers 200 JSON that any cache may keep for max-age seconds', async () => {
    const response = buildJwksResponse({
      current: await rsaPublicJwk(current.publicKey),
      maxAgeSeconds: 120,
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('public, max-age=120');
    expect(JSON.parse(response.body).keys).toHaveLength(1);
  });

  it('caches for five minutes by default', async () => {
    const response = buildJwksResponse({ current: await rsaPublicJwk(current.publicKey) });
    expect(response.headers['cache-control']).toBe('public, max-age=300');
  });

  it.each([-1, 1.5, 86_401, Number.NaN])('refuses a max-age of %s', async (maxAgeSeconds) => {
    const jwk = await rsaPublicJwk(current.publicKey);
    expect(() => buildJwksResponse({ current: jwk, maxAgeSeconds })).toThrow(ConfigInvalidError);
  });

  it('refuses a key that is not an RSA public key with a kid', async () => {
    const jwk = await rsaPublicJwk(current.publicKey);
    expect(() => buildJwksDocument({ current: { ...jwk, kid: '' } })).toThrow(ConfigInvalidError);
    expect(() => buildJwksDocument({ current: { ...jwk, kty: 'EC' } as unknown as SigningJwk })).toThrow(
      ConfigInvalidError,
    );
    expect(() => buildJwksDocument({ current: { ...jwk, n: 'not base64url!' } })).toThrow(ConfigInvalidError);
  });
});
