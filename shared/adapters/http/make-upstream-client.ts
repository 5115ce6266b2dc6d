import type { CredentialConfig } from '../../core/credential.ts';
import type { UpstreamClient } from '../../core/upstream-client.ts';
import { makeCanvasJwtClient } from './canvas-jwt-client.ts';
import type { HttpClientDeps } from './http-client-deps.ts';
import { makeIdentityServiceClient } from './identity-service-client.ts';
import { makeInstAccessClient } from './inst-access-client.ts';
import { secretField } from './secret-field.ts';

export type UpstreamClientDeps = Omit<HttpClientDeps, 'baseUrl'>;

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
  const httpDeps: HttpClientDeps = { ...deps, baseUrl: credential.baseUrl };
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
  }
};
