import { SecretMalformedError } from '../core/errors.ts';

/**
 * The value of the Canvas secret the broker reads for canvas-jwt and inst-access credentials:
 * `{"accessToken": "...", "tokenId": "<canvas token id>", "userId": "self" | "<id>", ...}`.
 * Fields rotation does not own are carried over untouched.
 */
export interface CanvasRotationSecret {
  readonly versionId: string;
  readonly accessToken: string;
  /** Absent on a secret set up by hand; the 5-character hint (the token's first 5 characters) stands in. */
  readonly tokenId: string | undefined;
  /** Whose tokens these are: `self` unless the secret says otherwise. */
  readonly userId: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * Reads a stored value. Errors name the secret and version and at most a field NAME: never the
 * JSON parser's message (V8 quotes the text it failed on, which is the secret).
 */
export const readCanvasRotationSecret = (
  secretId: string,
  versionId: string,
  secretString: string,
): CanvasRotationSecret => {
  const malformed = (why: string) =>
    new SecretMalformedError(`Secret ${secretId} version ${versionId} ${why}`, {
      details: { secretId, versionId },
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw malformed('is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformed('is not a JSON object.');
  }
  const fields = parsed as Record<string, unknown>;
  const { accessToken, tokenId, userId } = fields;
  if (typeof accessToken !== 'string' || accessToken.length < 5) {
    throw malformed('has no "accessToken" field (a Canvas access token).');
  }
  const idText = typeof tokenId === 'number' && Number.isSafeInteger(tokenId) ? String(tokenId) : tokenId;
  if (idText !== undefined && (typeof idText !== 'string' || idText === '')) {
    throw malformed('has a "tokenId" field that is not a Canvas token id.');
  }
  const userText = typeof userId === 'number' && Number.isSafeInteger(userId) ? String(userId) : userId;
  if (userText !== undefined && (typeof userText !== 'string' || userText === '')) {
    throw malformed('has a "userId" field that is not a Canvas user id or "self".');
  }
  return { versionId, accessToken, tokenId: idText, userId: userText ?? 'self', fields };
};

/** The value of the next version: the old fields with the new token's secret, id and hint. */
export const writeCanvasRotationSecret = (
  previous: CanvasRotationSecret,
  next: { readonly accessToken: string; readonly tokenId: string; readonly expiresAt?: string | null },
): string => {
  // The old token's expiry must never describe the new one.
  const { expiresAt: _old, ...kept } = previous.fields;
  return JSON.stringify({
    ...kept,
    accessToken: next.accessToken,
    tokenId: next.tokenId,
    // What Canvas says the token's life is (after any policy clamp), so a check can act on it.
    ...(next.expiresAt === undefined ? {} : { expiresAt: next.expiresAt }),
    // Kept in step with the token when the secret carries one, so it never names the old token.
    ...('tokenHint' in previous.fields ? { tokenHint: next.accessToken.slice(0, 5) } : {}),
  });
};
