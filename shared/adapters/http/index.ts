// The Instructure HTTP clients (contract sections 1-5) and their adapter to the core UpstreamClient port.
export type { CanvasAccessToken } from './canvas-access-token.ts';
export type { CanvasJwtClient } from './canvas-jwt-client.ts';
export { makeCanvasJwtClient } from './canvas-jwt-client.ts';
export type {
  CanvasTokensClient,
  CanvasTokensClientDeps,
  CanvasUserId,
  CreateCanvasTokenInput,
  UpdateCanvasTokenInput,
} from './canvas-tokens-client.ts';
export { makeCanvasTokensClient } from './canvas-tokens-client.ts';
export type { HttpClientDeps } from './http-client-deps.ts';
export type { ClientCredentials, IdentityServiceClient } from './identity-service-client.ts';
export { makeIdentityServiceClient } from './identity-service-client.ts';
export type { InstAccessClient } from './inst-access-client.ts';
export { makeInstAccessClient } from './inst-access-client.ts';
export type { UpstreamClientDeps } from './make-upstream-client.ts';
export { makeUpstreamClient } from './make-upstream-client.ts';
