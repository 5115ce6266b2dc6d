import type { AssertionSigner } from '../../core/assertion-signer.ts';
import type { CredentialConfig } from '../../core/credential.ts';
import { ConfigInvalidError } from '../../core/errors.ts';
import { fingerprint } from '../../core/fingerprint.ts';
import { makeLtiAssertionClaims } from '../../core/lti-assertion-claims.ts';
import type { Logger } from '../../core/telemetry.ts';
import type { UpstreamClient } from '../../core/upstream-client.ts';
import { makeCanvasJwtClient } from './canvas-jwt-client.ts';
import type { HttpClientDeps } from './http-client-deps.ts';
import { makeIdentityServiceClient } from './identity-service-client.ts';
import { makeInstAccessClient } from './inst-access-client.ts';
import { makeLtiAdvantageClient } from './lti-advantage-client.ts';
import { makeLtiAdvantageMinter } from './lti-advantage-minter.ts';
import { secretField } from './secret-field.ts';

export interface UpstreamClientDeps extends Omit<HttpClientDeps, 'baseUrl'> {
  /** lti-advantage: the deployment's assertion signer (KMS, or the local key in local mode). */
  readonly signer?: AssertionSigner;
  /** lti-advantage: where the per-assertion audit line (jti fingerprint, kid) goes. */
  readonly logger?: Logger;
}

/**
 * The core's UpstreamClient port for one credential, on the HTTP clients. Secret fields by kind:
 * identity-service `clientId` + `clientSecret`; canvas-jwt and inst-access `accessToken`. Only a
 * kind that `canRefresh` (canvas-jwt) has `refresh`. Every failure, a missing secret
 * field included, is a rejection (never a synchronous throw).
 */
export const makeUpstreamClient = (
  credential: CredentialConfig,
  deps: UpstreamClientDeps,
): UpstreamClient => {
  const { signer, logger: _logger, ...rest } = deps;
  const httpDeps: HttpClientDeps = { ...rest, baseUrl: credential.baseUrl };
  const field = (request: Parameters<UpstreamClient['mint']>[0], name: string) =>
    secretField(request.secret, name, credential.id);

  switch (credential.kind) {
    case 'identity-service': {
      const client = makeIdentityServiceClient(httpDeps);
      return {
        mint: async (request) =>
          client.login(
            { clientId: field(request, 'clientId'), clientSecret: field(request, 'clientSecret') },
            request.signal,
          ),
      };
    }
    case 'canvas-jwt': {
      const client = makeCanvasJwtClient(httpDeps);
      return {
        mint: async (request) =>
          client.create(
            { accessToken: field(request, 'accessToken'), params: request.params },
            request.signal,
          ),
        refresh: async (request) =>
          client.refresh(
            { accessToken: field(request, 'accessToken'), jwt: request.previousToken },
            request.signal,
          ),
      };
    }
    case 'inst-access': {
      const client = makeInstAccessClient(httpDeps);
      return {
        mint: async (request) =>
          client.create({ accessToken: field(request, 'accessToken') }, request.signal),
      };
    }
    case 'lti-advantage': {
      const lti = credential.lti;
      // Both are checked at boot (parse-broker-config.ts, the runtime's signer); this is the last guard.
      if (lti === undefined || signer === undefined) {
        const missing = new ConfigInvalidError(
          `Credential ${credential.id} (lti-advantage) has no client id or signing key.`,
        );
        return { mint: async () => Promise.reject(missing) };
      }
      const client = makeLtiAdvantageClient({
        ...httpDeps,
        ...(lti.tokenUrl === undefined ? {} : { tokenUrl: lti.tokenUrl }),
      });
      // One claims factory per credential: its jti memory is what guarantees no jti is handed out twice.
      const claims = makeLtiAssertionClaims({ clock: deps.clock });
      return {
        // The "secret" of this kind is the signing key (its kid is the recorded secret version): no field is read.
        mint: async (request) => {
          let jti: string | undefined;
          // A minter per attempt only to learn this attempt's jti for the audit line; the claims stay shared.
          const mint = makeLtiAdvantageMinter({
            client,
            signer,
            claims: (input) => {
              const made = claims(input);
              jti = made.jti;
              return made;
            },
          });
          const audit = async (outcome: 'issued' | 'failed') => {
            // The jti's fingerprint and the kid tie this line to the simulator's or Canvas's logs;
            // neither the assertion nor the token is ever logged.
            const kid = await signer.publicJwk(request.signal).then(
              (jwk) => jwk.kid,
              () => undefined,
            );
            deps.logger?.info('lti assertion', {
              credentialId: credential.id,
              outcome,
              kid,
              jti: jti === undefined ? undefined : fingerprint(jti),
            });
          };
          try {
            const issued = await mint({
              clientId: lti.clientId,
              ...(lti.audience === undefined ? {} : { audience: lti.audience }),
              scopes: request.params.scopes ?? [],
              signal: request.signal,
            });
            await audit('issued');
            return issued;
          } catch (error) {
            await audit('failed');
            throw error;
          }
        },
      };
    }
  }
};
