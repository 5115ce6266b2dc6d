import type { IncomingHttpHeaders } from 'node:http';
import type { AccessTokenRecord } from './access-token-store.ts';
import { paramString } from './param-readers.ts';
import type { ParamObject } from './request-params.ts';
import { type SimUser, userIdFromGlobal } from './sim-directory.ts';
import type { SimState } from './sim-state.ts';

export type CanvasAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'access-token'; readonly user: SimUser; readonly token: AccessTokenRecord }
  | { readonly kind: 'services-jwt' | 'inst-access'; readonly user: SimUser };

export type AuthenticatedCanvas = Exclude<CanvasAuth, { readonly kind: 'none' | 'invalid' }>;

/** The value of an `Authorization: Bearer` header, if that is what the header holds. */
export const bearerToken = (authorization: string | undefined): string | undefined => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
};

/** Canvas reads the Bearer header first and falls back to an `access_token` param. */
export const canvasTokenOf = (headers: IncomingHttpHeaders, params: ParamObject): string | undefined => {
  const fromHeader = bearerToken(headers.authorization);
  if (fromHeader !== undefined) return fromHeader;
  const fromParam = paramString(params, 'access_token')?.trim();
  return fromParam === '' ? undefined : fromParam;
};

/**
 * Who a Canvas token authenticates as, judged on the simulator clock. Besides access tokens,
 * Canvas accepts its own services JWTs (the Base64-wrapped `token`) and InstAccess tokens; the
 * JWT and InstAccess routes must tell those apart to refuse minting with them.
 */
export const makeCanvasAuthenticator =
  (state: SimState) =>
  async (token: string | undefined): Promise<CanvasAuth> => {
    if (token === undefined) return { kind: 'none' };
    const record = state.accessTokens.authenticate(token);
    if (record) {
      const user = state.directory.findUser(record.userId);
      return user ? { kind: 'access-token', user, token: record } : { kind: 'invalid' };
    }
    const now = state.clock.nowSeconds();
    const jwt = await state.servicesJwts.read(token);
    if (jwt) {
      const nbf = typeof jwt.claims.nbf === 'number' ? jwt.claims.nbf : jwt.iat;
      const id = typeof jwt.claims.sub === 'string' ? userIdFromGlobal(jwt.claims.sub) : undefined;
      const user = id === undefined ? undefined : state.directory.findUser(id);
      return user && jwt.exp > now && nbf <= now ? { kind: 'services-jwt', user } : { kind: 'invalid' };
    }
    const instAccess = await state.instAccessTokens.read(token);
    if (instAccess) {
      const sub = instAccess.claims.sub;
      const user = typeof sub === 'string' ? state.directory.findUserByUuid(sub) : undefined;
      return user && instAccess.exp > now ? { kind: 'inst-access', user } : { kind: 'invalid' };
    }
    return { kind: 'invalid' };
  };
