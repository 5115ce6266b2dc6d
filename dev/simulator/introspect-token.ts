import type { SimState } from './sim-state.ts';
import type { Introspection } from './simulator-types.ts';

/**
 * Whether the simulator would accept a token right now, and what it is. Tokens signed by
 * another simulator run are unknown (inactive, no kind).
 */
export const makeIntrospector =
  (state: SimState) =>
  async (token: string): Promise<Introspection> => {
    const now = state.clock.nowSeconds();
    const record = state.accessTokens.lookup(token);
    if (record) {
      return {
        active: state.accessTokens.isUsable(record) && state.directory.findUser(record.userId) !== undefined,
        kind: 'canvas-access-token',
        ...(record.expiresAt === null ? {} : { exp: Math.floor(record.expiresAt / 1000) }),
        iat: Math.floor(record.createdAt / 1000),
      };
    }
    const ids = await state.identityTokens.read(token);
    if (ids) return { active: ids.exp > now, kind: 'ids', exp: ids.exp, iat: ids.iat };
    const jwt = await state.servicesJwts.read(token);
    if (jwt) {
      const nbf = typeof jwt.claims.nbf === 'number' ? jwt.claims.nbf : jwt.iat;
      return { active: jwt.exp > now && nbf <= now, kind: 'canvas-jwt', exp: jwt.exp, iat: jwt.iat };
    }
    const instAccess = await state.instAccessTokens.read(token);
    if (instAccess) {
      return { active: instAccess.exp > now, kind: 'inst-access', exp: instAccess.exp, iat: instAccess.iat };
    }
    const lti = state.lti.issued(token);
    if (lti) return { active: lti.exp > now, kind: 'lti-advantage', exp: lti.exp, iat: lti.iat };
    return { active: false };
  };
