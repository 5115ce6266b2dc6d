import { constantTimeEqual } from './constant-time-equal.ts';
import { replyDapError } from './dap-errors.ts';
import { paramString } from './param-readers.ts';
import { mediaType } from './request-params.ts';
import type { Handler } from './sim-request.ts';

const basicCredentials = (authorization: string | undefined): { id: string; secret: string } | undefined => {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon <= 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
};

/**
 * `POST /ids/auth/login`: client-credentials login. A malformed request is a 400; missing or
 * wrong credentials a 401, in DAP's error envelope.
 */
export const handleIdentityLogin: Handler = async (req, reply, state) => {
  if (mediaType(req.contentType) !== 'application/x-www-form-urlencoded') {
    return replyDapError(
      reply,
      400,
      'ValidationError',
      'Content-Type must be application/x-www-form-urlencoded.',
    );
  }
  if (paramString(req.params, 'grant_type') !== 'client_credentials') {
    return replyDapError(reply, 400, 'ValidationError', 'grant_type must be client_credentials.');
  }
  const credentials = basicCredentials(req.headers.authorization);
  if (!credentials) {
    return replyDapError(reply, 401, 'AuthenticationError', 'Client credentials are required (HTTP Basic).');
  }
  // Both comparisons always run, so a wrong id and a wrong secret take the same time.
  const idMatches = constantTimeEqual(credentials.id, state.clientId);
  const secretMatches = constantTimeEqual(credentials.secret, state.clientSecret());
  if (!idMatches || !secretMatches) {
    return replyDapError(reply, 401, 'AuthenticationError', 'Invalid client credentials.');
  }
  const iat = state.clock.nowSeconds();
  const scope = `urn:instructure:dap principal:${state.principalId} partner:${state.partnerId} region:${state.region}`;
  const accessToken = await state.identityTokens.mint({
    sub: state.principalId,
    scope,
    iat,
    exp: iat + state.identityExpiresIn,
  });
  reply.json(
    200,
    { access_token: accessToken, expires_in: state.identityExpiresIn, scope, token_type: 'bearer' },
    { 'cache-control': 'no-store' },
  );
};
