import { describe, expect, it } from 'vitest';
import { ENV } from '../../shared/config/env-names.ts';
import { loadJwksEnvironment } from '../../shared/runtime/load-jwks-environment.ts';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';
const OLD = 'arn:aws:kms:us-east-1:111122223333:key/00000000-2222-3333-4444-555555555555';
const VALID = { AWS_REGION: 'us-east-1', [ENV.ltiSigningKeyArn]: KEY };

describe('the jwks function environment', () => {
  it('is read once into key ARNs and a max-age, defaulting to five minutes and no previous keys', () => {
    expect(loadJwksEnvironment(VALID)).toMatchObject({
      region: 'us-east-1',
      signingKeyArn: KEY,
      previousSigningKeyArns: [],
      maxAgeSeconds: 300,
      serviceName: 'canvas-credential-broker',
    });
  });

  it('reads the previous keys of a rotation overlap in order, and the max-age the construct sets', () => {
    const other = OLD.replace('00000000', '22222222');
    const env = loadJwksEnvironment({
      ...VALID,
      [ENV.ltiPreviousSigningKeyArns]: ` ${OLD}, ${other} `,
      [ENV.jwksMaxAgeSeconds]: '600',
    });
    expect(env.previousSigningKeyArns).toEqual([OLD, other]);
    expect(env.maxAgeSeconds).toBe(600);
  });

  it.each([
    ['no signing key', { [ENV.ltiSigningKeyArn]: undefined }, ENV.ltiSigningKeyArn],
    [
      'an alias as the signing key',
      { [ENV.ltiSigningKeyArn]: KEY.replace(/key\/.*/, 'alias/lti') },
      ENV.ltiSigningKeyArn,
    ],
    [
      'a previous key that is not a key ARN',
      { [ENV.ltiPreviousSigningKeyArns]: `${OLD},alias/x` },
      ENV.ltiPreviousSigningKeyArns,
    ],
    [
      'the current key among the previous ones',
      { [ENV.ltiPreviousSigningKeyArns]: KEY },
      'must not list the current key',
    ],
    [
      'six previous keys',
      {
        [ENV.ltiPreviousSigningKeyArns]: [1, 2, 3, 4, 5, 6]
          .map((n) => OLD.replace('00000000', `0000000${n}`))
          .join(','),
      },
      'more than 5',
    ],
    ['a negative max-age', { [ENV.jwksMaxAgeSeconds]: '-1' }, ENV.jwksMaxAgeSeconds],
    ['a fractional max-age', { [ENV.jwksMaxAgeSeconds]: '1.5' }, ENV.jwksMaxAgeSeconds],
    ['a max-age over a day', { [ENV.jwksMaxAgeSeconds]: '86401' }, 'from 0 to 86400'],
  ])('fails the cold start on %s, naming the variable', (_name, change, message) => {
    expect(() => loadJwksEnvironment({ ...VALID, ...change })).toThrow(message);
  });

  it('accepts a max-age of zero (no caching) and of exactly a day', () => {
    expect(loadJwksEnvironment({ ...VALID, [ENV.jwksMaxAgeSeconds]: '0' }).maxAgeSeconds).toBe(0);
    expect(loadJwksEnvironment({ ...VALID, [ENV.jwksMaxAgeSeconds]: '86400' }).maxAgeSeconds).toBe(86_400);
  });
});
