/** The token kinds the broker can issue; see docs/instructure-contract.md sections 1-4. */
export type TokenKind = 'identity-service' | 'canvas-jwt' | 'inst-access' | 'lti-advantage';

export const TOKEN_KINDS: readonly TokenKind[] = [
  'identity-service',
  'canvas-jwt',
  'inst-access',
  'lti-advantage',
];

/**
 * Whether a token of this kind can be renewed from the previous one, without a new mint: only a
 * Canvas services JWT (`POST /api/v1/jwts/refresh`, contract section 2). Every other kind is
 * renewed by minting, so its stored token is never needed (nor decrypted) to renew it.
 */
export const canRefresh = (kind: TokenKind): boolean => kind === 'canvas-jwt';

/** Request parameters after normalization: the same request always yields the same object. */
export interface NormalizedParams {
  /** canvas-jwt: workflow names, sorted and de-duplicated. */
  readonly workflows?: readonly string[];
  /** canvas-jwt: `Course`, `User` or `Account`. */
  readonly contextType?: 'Course' | 'User' | 'Account';
  readonly contextId?: string;
  readonly contextUuid?: string;
  /** canvas-jwt: false asks for a signed-only (readable) token. */
  readonly canvasAudience?: boolean;
  /** canvas-jwt: space-separated audiences, sorted. */
  readonly audience?: string;
  /** lti-advantage: the LTI Advantage scopes asked for, sorted and de-duplicated (the variant). */
  readonly scopes?: readonly string[];
}

export type ParamName = keyof NormalizedParams;

/** Every request parameter name, in the order messages list them. */
export const PARAM_NAMES: readonly ParamName[] = [
  'workflows',
  'contextType',
  'contextId',
  'contextUuid',
  'canvasAudience',
  'audience',
  'scopes',
];

/** The parameters each kind sends upstream; any other parameter is refused (it would only split variants). */
export const KIND_PARAMS: Readonly<Record<TokenKind, readonly ParamName[]>> = {
  'identity-service': [],
  'canvas-jwt': ['workflows', 'contextType', 'contextId', 'contextUuid', 'canvasAudience', 'audience'],
  'inst-access': [],
  'lti-advantage': ['scopes'],
};

/**
 * What an lti-advantage credential signs and posts (docs/lti-advantage.md). There is no secret:
 * the signing key lives in KMS (or, locally, in a key file), configured per deployment.
 */
export interface LtiCredentialSettings {
  /** The Canvas developer key's client id: `iss` and `sub` of every assertion. */
  readonly clientId: string;
  /** Absolute token endpoint when it is not `{baseUrl}/login/oauth2/token` (Instructure-hosted Canvas). */
  readonly tokenUrl?: string;
  /** The assertion's `aud` when it is not the token endpoint. */
  readonly audience?: string;
  /** Every scope this deployment's developer key may be asked for; a request outside it is 403. */
  readonly allowedScopes: readonly string[];
}

/**
 * The secret id an lti-advantage credential reads: not a Secrets Manager secret but the signing
 * key, whose `kid` is the "secret version" recorded on each token (runtime: signing-key-secret-source.ts).
 */
export const LTI_SIGNING_KEY_SECRET_ID = 'lti-signing-key';

/**
 * Which parameters a caller may set for a credential, and to what. `'*'` accepts any well-formed
 * value; a list accepts only those values (for `workflows`, every requested workflow must be listed).
 */
export type CallerParamRules = Readonly<Partial<Record<ParamName, '*' | readonly string[]>>>;

/** A named, configured profile the broker can mint tokens for. */
export interface CredentialConfig {
  readonly id: string;
  readonly kind: TokenKind;
  /** Secrets Manager secret id or ARN (or a key of the local secrets file). */
  readonly secretId: string;
  /** Upstream base URL: the Identity Service gateway or the Canvas host. */
  readonly baseUrl: string;
  /** Parameters fixed by the operator; callers can never override them. */
  readonly fixedParams: NormalizedParams;
  /** Parameters a caller may choose. */
  readonly callerParams: CallerParamRules;
  /** Nominal token lifetime used to reject impossible `minTtlSeconds` before minting. */
  readonly lifetimeSeconds?: number;
  /** lti-advantage only. */
  readonly lti?: LtiCredentialSettings;
}

/** Nominal lifetimes from the contract (Identity Service `expires_in` is about 3599 s). */
export const NOMINAL_LIFETIME_SECONDS: Readonly<Record<TokenKind, number>> = {
  'identity-service': 3599,
  'canvas-jwt': 3600,
  'inst-access': 3600,
  // Canvas: lib/canvas/oauth/client_credentials_provider.rb, tokens live one hour.
  'lti-advantage': 3600,
};

/** `arn` is normalized: an assumed-role session ARN is reduced to its IAM role ARN. */
export interface Caller {
  readonly arn: string;
  readonly accountId: string;
}

export const CREDENTIAL_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
