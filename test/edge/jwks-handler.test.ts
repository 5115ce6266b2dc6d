import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rsaPublicJwk } from '../../shared/adapters/crypto/rsa-public-jwk.ts';
import { type AssertionSigner, makeAssertionSigner } from '../../shared/core/assertion-signer.ts';
import { CipherUnavailableError } from '../../shared/core/errors.ts';
import { makeJwksPublisher } from '../../shared/core/jwks-publisher.ts';
import { makeJwksHandler } from '../../shared/edge/jwks-handler.ts';
import { makeCapturingLogger } from '../support/canary.ts';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';

const signer = (failure?: Error): AssertionSigner => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return makeAssertionSigner({
    keyRef: KEY_ARN,
    publicJwk: async () => {
      if (failure) throw failure;
      return rsaPublicJwk(privateKey);
    },
    signRs256: async ({ message }) => sign('sha256', message, privateKey),
  });
};

const handlerWith = (current: AssertionSigner) => {
  const logger = makeCapturingLogger();
  const handle = makeJwksHandler({
    publisher: makeJwksPublisher({ current, maxAgeSeconds: 120 }),
    logger,
  });
  return { handle, logger };
};

const get = (headers: Record<string, string> = {}) => ({
  httpMethod: 'GET',
  path: '/.well-known/jwks.json',
  headers,
  requestContext: { requestId: 'req-1' } as never,
});

describe('the JWKS handler', () => {
  it('serves the public keys as JSON with caching headers and a strong ETag', async () => {
    const current = signer();
    const { handle } = handlerWith(current);
    const answer = await handle(get());
    expect(answer.statusCode).toBe(200);
    expect(answer.headers).toMatchObject({ 'cache-control': 'public, max-age=120' });
    expect(String(answer.headers?.etag)).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const body = JSON.parse(answer.body) as { keys: Record<string, string>[] };
    expect(body.keys).toEqual([await current.publicJwk()]);
    for (const key of body.keys) expect(Object.keys(key)).not.toContain('d');
  });

  it('gives the same ETag for the same keys, and 304 with no body when the reader has it', async () => {
    const { handle } = handlerWith(signer());
    const first = await handle(get());
    const etag = String(first.headers?.etag);
    expect((await handle(get())).headers?.etag).toBe(etag);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await handle(get({ 'If-None-Match': ifNoneMatch }));
      expect(again.statusCode, ifNoneMatch).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers?.etag).toBe(etag);
    }
    expect((await handle(get({ 'if-none-match': '"stale"' }))).statusCode).toBe(200);
  });

  it('answers any other path with a bare 404 and any other method with 405 and Allow', async () => {
    const { handle } = handlerWith(signer());
    const missing = await handle({ ...get(), path: '/.well-known/openid-configuration' });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('ROUTE_NOT_FOUND');
    const posted = await handle({ ...get(), httpMethod: 'POST' });
    expect(posted.statusCode).toBe(405);
    expect(posted.headers).toMatchObject({ Allow: 'GET' });
    expect(JSON.parse(posted.body).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('serves the keys behind a custom domain with a base path, where the path carries the base path', async () => {
    const { handle } = handlerWith(signer());
    const mapped = { ...get(), resource: '/.well-known/jwks.json', path: '/broker/.well-known/jwks.json' };
    expect((await handle(mapped)).statusCode).toBe(200);
    // The template decides when there is one: another resource of the API is not this route.
    const other = { ...get(), resource: '/v1/credentials', path: '/.well-known/jwks.json' };
    expect((await handle(other)).statusCode).toBe(404);
    // Without a template (local mode), only the exact path is.
    expect((await handle({ ...get(), path: '/broker/.well-known/jwks.json' })).statusCode).toBe(404);
  });

  it('answers 503 with Retry-After and no internals when the current key cannot be read', async () => {
    const internal = 'KMS could not read the public key right now (KMSInternalException).';
    const { handle, logger } = handlerWith(signer(new CipherUnavailableError(internal)));
    const answer = await handle(get());
    expect(answer.statusCode).toBe(503);
    expect(Object.keys(answer.headers ?? {}).map((h) => h.toLowerCase())).toContain('retry-after');
    expect(answer.headers?.['cache-control'] ?? answer.headers?.['Cache-Control']).not.toMatch(
      /max-age=[1-9]/,
    );
    expect(answer.body).not.toContain('KMSInternalException');
    expect(answer.body).not.toContain(KEY_ARN);
    expect(logger.entries.some((e) => e.message.includes('jwks'))).toBe(true);
  });

  it('survives an event with no headers or request context', async () => {
    const { handle } = handlerWith(signer());
    const answer = await handle({ httpMethod: 'GET', path: '/.well-known/jwks.json' });
    expect(answer.statusCode).toBe(200);
    expect((await handle({})).statusCode).toBe(404);
  });
});
