import type { AssertionSigner } from '../../core/assertion-signer.ts';
import type { LtiAssertionClaims, LtiAssertionRequest } from '../../core/lti-assertion-claims.ts';
import type { LtiAdvantageClient, LtiIssuedToken } from './lti-advantage-client.ts';

export interface LtiAdvantageMinterDeps {
  readonly client: LtiAdvantageClient;
  readonly signer: AssertionSigner;
  /** makeLtiAssertionClaims(...): a fresh jti and iat per call. */
  readonly claims: (request: LtiAssertionRequest) => LtiAssertionClaims;
}

export interface LtiMintRequest {
  /** The developer key's client id (iss and sub). */
  readonly clientId: string;
  /** `aud`, when Canvas expects something other than the token URL; defaults to the token URL. */
  readonly audience?: string;
  readonly scopes: readonly string[];
  readonly signal?: AbortSignal;
}

/**
 * One LTI Advantage token: fresh claims, a signature from the signer (KMS or local), one POST.
 * A new assertion for every attempt, so a retry never replays a jti; the assertion lives only in
 * this call and is never logged, stored or returned.
 */
export const makeLtiAdvantageMinter =
  ({ client, signer, claims }: LtiAdvantageMinterDeps) =>
  async ({ clientId, audience, scopes, signal }: LtiMintRequest): Promise<LtiIssuedToken> => {
    const assertion = await signer.sign(
      claims({ clientId, audience: audience ?? client.tokenUrl.href }),
      signal,
    );
    return client.requestToken({ clientAssertion: assertion, scopes, ...(signal ? { signal } : {}) });
  };
