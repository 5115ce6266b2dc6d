import { describe, expect, it } from 'vitest';
import { inspectCompactJose } from '../../../shared/adapters/http/compact-jose.ts';
import { unwrapCanvasJwt } from '../../../shared/adapters/http/unwrap-canvas-jwt.ts';
import { base64Wrap, directJwe, rsaJwe, signedJwt } from './support/jose-fixtures.ts';

describe('inspectCompactJose', () => {
  it('reads the exp of a JWS without verifying it', async () => {
    expect(inspectCompactJose(await signedJwt({ exp: 2_000_000_000 }))).toEqual({
      form: 'jws',
      alg: 'HS256',
      exp: 2_000_000_000,
    });
  });

  it('reports a JWS without a numeric exp as having none', async () => {
    expect(inspectCompactJose(await signedJwt({ exp: 'later' }))).toMatchObject({
      form: 'jws',
      exp: undefined,
    });
    expect(inspectCompactJose(await signedJwt({ sub: 'x' }))).toMatchObject({ form: 'jws', exp: undefined });
  });

  it('recognizes a JWE as unreadable', async () => {
    expect(inspectCompactJose(await directJwe())).toEqual({ form: 'jwe', alg: 'dir', enc: 'A256GCM' });
    expect(inspectCompactJose(await rsaJwe())).toEqual({
      form: 'jwe',
      alg: 'RSA-OAEP',
      enc: 'A128CBC-HS256',
    });
  });

  it('rejects anything else', async () => {
    const jws = await signedJwt({ exp: 1 });
    for (const value of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      'e30.e30.x',
      `${jws}.x`,
      '!!.e30.x',
      jws.replace('.', '.%'),
    ]) {
      expect(inspectCompactJose(value)).toBeUndefined();
    }
    // A 5-segment value whose header has no `enc` is not a JWE.
    const header = Buffer.from('{"alg":"dir"}').toString('base64url');
    expect(inspectCompactJose(`${header}..aXY.Y3Q.dGFn`)).toBeUndefined();
  });
});

describe('unwrapCanvasJwt', () => {
  it('decodes the standard Base64 wrapping Canvas puts around a compact JOSE string', async () => {
    const jwe = await directJwe();
    expect(unwrapCanvasJwt(base64Wrap(jwe))).toBe(jwe);
  });

  it('tolerates the line breaks Ruby inserts', async () => {
    const jwe = await directJwe();
    const wrapped = base64Wrap(jwe).replace(/(.{60})/g, '$1\n');
    expect(wrapped).toContain('\n');
    expect(unwrapCanvasJwt(wrapped)).toBe(jwe);
  });

  it('rejects a raw compact string, URL-safe Base64 and binary content', async () => {
    expect(unwrapCanvasJwt(await directJwe())).toBeUndefined();
    expect(unwrapCanvasJwt('')).toBeUndefined();
    expect(unwrapCanvasJwt('a-b_')).toBeUndefined();
    expect(unwrapCanvasJwt(Buffer.from([0, 1, 2, 255]).toString('base64'))).toBeUndefined();
  });
});
