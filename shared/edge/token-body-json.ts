import type { TokenBody } from '../core/token-body.ts';

/**
 * `JSON.stringify(body)` for the token answer, byte for byte, without re-escaping the token on
 * every hit. The token is the bulk of the body (1-2 KB) and stays the same for its whole life, so
 * its JSON text is kept for the last token seen; on a memory-tier hit serializing it was the
 * largest single cost of the edge (bench P2). The cached text is the same token the memory tier
 * already holds, so nothing new stays in memory.
 */
let lastToken: string | undefined;
let lastTokenJson = '';

export const tokenBodyJson = (body: TokenBody): string => {
  if (body.token !== lastToken) {
    lastTokenJson = JSON.stringify(body.token);
    lastToken = body.token;
  }
  // Same keys in the same order as the TokenBody literal toTokenBody builds.
  return `{"token":${lastTokenJson},"tokenType":${JSON.stringify(body.tokenType)},"expiresAt":${JSON.stringify(body.expiresAt)},"expiresIn":${JSON.stringify(body.expiresIn)},"credentialId":${JSON.stringify(body.credentialId)},"kind":${JSON.stringify(body.kind)},"fingerprint":${JSON.stringify(body.fingerprint)}}`;
};
