import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rsaPublicJwk } from '../../shared/adapters/crypto/rsa-public-jwk.ts';
import { type AssertionSigner, makeAssertionSigner } from '../../shared/core/assertion-signer.ts';
import { CipherUnavailableError } from '../../shared/core/errors.ts';
import { makeJwksPublisher } from '../../shared/core/jwks-publisher.ts';
import type { LogFields } from '../../shared/core/telemetry.ts';

const signer = (failing?: Error): AssertionSigner => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return makeAssertionSigner({
    keyRef: failing
      ? 'arn:aws:kms:us-east-1:111122223333:key/gone'
      : 'arn:aws:kms:us-east-1:111122223333:key/ok',
    publicJwk: async () => {
      if (failing) throw failing;
      return rsaPublicJwk(privateKey);
    },
    signRs256: async ({ message }) => sign('sha256', message, privateKey),
  });
};

describe('the JWKS publisher', () => {
  it('publishes the current key first and the overlap keys after it', async () => {
    const current = signer();
    const previous = signer();
    const response = await makeJwksPublisher({ current, previous: [previous], maxAgeSeconds: 60 }).response();
    const kids = JSON.parse(response.body).keys.map((key: { kid: string }) => key.kid);
    expect(kids).toEqual([(await current.publicJwk()).kid, (await previous.publicJwk()).kid]);
    expect(response.headers['cache-control']).toBe('public, max-age=60');
  });

  it('leaves out a previous key it cannot read, with a warning naming the key, not failing the route', async () => {
    const warnings: Array<[string, LogFields | undefined]> = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (m: string, f?: LogFields) => warnings.push([m, f]),
    };
    const current = signer();
    const response = await makeJwksPublisher({
      current,
      previous: [signer(new CipherUnavailableError('KMS could not read the public key right now.'))],
      logger,
    }).response();
    expect(JSON.parse(response.body).keys).toHaveLength(1);
    expect(warnings[0]?.[1]).toEqual({ keyRef: 'arn:aws:kms:us-east-1:111122223333:key/gone' });
  });

  it('fails when the current key cannot be read, so the route can answer 503', async () => {
    const failure = new CipherUnavailableError('KMS could not read the public key right now.');
    await expect(makeJwksPublisher({ current: signer(failure) }).response()).rejects.toBe(failure);
  });
});
