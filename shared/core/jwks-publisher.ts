import type { AssertionSigner, SigningJwk } from './assertion-signer.ts';
import { buildJwksResponse, type JwksResponse } from './jwks-document.ts';
import type { Logger } from './telemetry.ts';
import { noopLogger } from './telemetry.ts';

export interface JwksPublisherDeps {
  /** The signer that signs now. */
  readonly current: AssertionSigner;
  /** Signers of the rotation overlap: still published, no longer used to sign. */
  readonly previous?: readonly AssertionSigner[];
  readonly maxAgeSeconds?: number;
  readonly logger?: Logger;
}

export interface JwksPublisher {
  /** The JWKS answer. Rejects only when the current key cannot be read (the route answers 503). */
  response(signal?: AbortSignal): Promise<JwksResponse>;
}

/**
 * Serves the public keys of the signing keys for `GET /.well-known/jwks.json`. Each signer caches
 * its own public key, so after the first read this costs no KMS call. A previous key that can no
 * longer be read (deleted at the end of its overlap) is left out with a warning rather than taking
 * the current key's JWKS down with it: Canvas only needs the key that signed.
 */
export const makeJwksPublisher = ({
  current,
  previous = [],
  maxAgeSeconds,
  logger = noopLogger,
}: JwksPublisherDeps): JwksPublisher => ({
  async response(signal) {
    const [now, ...before] = await Promise.allSettled([
      current.publicJwk(signal),
      ...previous.map((signer) => signer.publicJwk(signal)),
    ]);
    if (now?.status !== 'fulfilled') throw now?.reason;
    const older: SigningJwk[] = [];
    before.forEach((result, index) => {
      if (result.status === 'fulfilled') older.push(result.value);
      else
        logger.warn('A previous signing key is left out of the JWKS: its public key could not be read.', {
          keyRef: previous[index]?.keyRef,
        });
    });
    return buildJwksResponse({
      current: now.value,
      previous: older,
      ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
    });
  },
});
