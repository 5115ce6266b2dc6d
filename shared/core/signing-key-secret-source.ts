import type { AssertionSigner } from './assertion-signer.ts';
import { LTI_SIGNING_KEY_SECRET_ID } from './credential.ts';
import { ConfigInvalidError } from './errors.ts';
import type { SecretSource } from './secret-source.ts';

/**
 * The SecretSource of a broker that may hold lti-advantage credentials. Their "secret" is the
 * signing key: reading it yields no field (the private key never leaves KMS) and the current
 * `kid` as its version. So the engine, unchanged, records the kid on every token and mint record,
 * and its one re-read after a rejected assertion (CREDENTIALS_REJECTED) retries only when the
 * key changed: a re-read with the same kid fails at once, as for any other unchanged secret.
 * Every other secret id goes to `inner`.
 */
export const makeSigningKeySecretSource = (
  inner: SecretSource,
  signer: AssertionSigner | undefined,
): SecretSource => ({
  async get(secretId, options) {
    if (secretId !== LTI_SIGNING_KEY_SECRET_ID) return inner.get(secretId, options);
    if (signer === undefined) {
      throw new ConfigInvalidError('An lti-advantage credential is configured but no signing key is.');
    }
    const { kid } = await signer.publicJwk(options?.signal);
    return { versionId: kid, fields: {} };
  },
});
