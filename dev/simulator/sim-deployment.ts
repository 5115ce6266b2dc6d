/**
 * How the simulated Canvas is deployed and configured: switches for behaviours real Canvas has
 * in some deployments (or always, where the default stays friendlier for backward compatibility).
 * Set at start (`SimulatorOptions.deployment`) or at run time with `POST /__sim/deployment`;
 * `POST /__sim/reset` returns to the start values.
 */
export interface SimDeployment {
  /**
   * A refresh whose `jwt` is well formed but cannot be decrypted or verified here (a token from
   * another environment, a retired key) answers 500 instead of 400 `invalid refresh`.
   * Mirrors instructure/canvas-lms app/controllers/jwts_controller.rb, JwtsController#refresh:
   * its `rescue` covers only CanvasSecurity::ServicesJwt::InvalidRefresh,
   * JSON::JWE::DecryptionFailed and JSON::JWT::InvalidFormat; any other error the decrypt or
   * verify raises (a signature or key-set failure) is unhandled and becomes Rails' generic 500.
   */
  readonly refreshUndecryptableAnswers500: boolean;
  /**
   * InstAccess has no signing/encryption keys: every `POST /api/v1/inst_access_tokens` is 500
   * (after the 200-unit throttle charge, which Canvas takes first).
   * Mirrors app/controllers/inst_access_tokens_controller.rb, InstAccessTokensController#create
   * (increment_request_cost, then InstAccess::Token.for_user) and
   * gems/inst_access/lib/inst_access.rb, InstAccess.config: `raise(ConfigError, "InstAccess is
   * not configured!")`, which nothing rescues.
   */
  readonly instAccessConfigured: boolean;
  /**
   * Site token policy: a new token's `expires_at` is clamped to at most this many seconds from
   * now (a missing or later `expires_at` gets the cap). null: no cap.
   * Mirrors app/models/access_token.rb, AccessToken#set_permanent_expiration
   * (`permanent_expires_at = now + developer_key.tokens_expire_in`), the value the API sends
   * back as `expires_at` (TokensController#access_token_params renames it), and the
   * institution-wide caps Instructure enforces on personal tokens.
   */
  readonly tokenMaxLifetimeSeconds: number | null;
  /**
   * Personal token creation forbidden (the root account's `limit_personal_access_tokens`):
   * `POST /api/v1/users/:id/tokens` answers the unauthorized envelope with this status.
   * Mirrors app/controllers/tokens_controller.rb, TokensController#create
   * (`render_unauthorized_action unless @token.grants_right?(..., :create)`) and the policy in
   * app/models/access_token.rb `set_policy` (`next false if root_account.limit_personal_access_tokens?`).
   * Canvas's own spec (spec/controllers/tokens_controller_spec.rb, "does not allow creating an
   * access token") asserts 401; newer Canvas answers 403. null: creation allowed.
   */
  readonly tokenCreationRefusedStatus: 401 | 403 | null;
  /**
   * A pending token is invisible to show/update/delete (404), so it cannot be deleted through
   * the API. Mirrors app/controllers/tokens_controller.rb, TokensController#find_token
   * (`@context.access_tokens.find(...)`) over app/models/user.rb
   * `has_many :access_tokens, -> { where(workflow_state: "active") }`.
   */
  readonly pendingTokensHidden: boolean;
}

export const DEFAULT_DEPLOYMENT: SimDeployment = {
  refreshUndecryptableAnswers500: false,
  instAccessConfigured: true,
  tokenMaxLifetimeSeconds: null,
  tokenCreationRefusedStatus: null,
  pendingTokensHidden: false,
};

const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validates a (partial) deployment body; a string is the reason it was refused. */
export const parseDeployment = (body: unknown): Partial<SimDeployment> | string => {
  if (!isObject(body)) return 'body must be a JSON object';
  const out: { -readonly [K in keyof SimDeployment]?: SimDeployment[K] } = {};
  for (const [key, value] of Object.entries(body)) {
    switch (key) {
      case 'refreshUndecryptableAnswers500':
      case 'instAccessConfigured':
      case 'pendingTokensHidden':
        if (typeof value !== 'boolean') return `${key} must be a boolean`;
        out[key] = value;
        break;
      case 'tokenMaxLifetimeSeconds':
        if (
          value !== null &&
          (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIFETIME_SECONDS)
        ) {
          return `tokenMaxLifetimeSeconds must be null or an integer from 1 to ${MAX_LIFETIME_SECONDS}`;
        }
        out.tokenMaxLifetimeSeconds = value;
        break;
      case 'tokenCreationRefusedStatus':
        if (value !== null && value !== 401 && value !== 403) {
          return 'tokenCreationRefusedStatus must be null, 401 or 403';
        }
        out.tokenCreationRefusedStatus = value;
        break;
      default:
        return `unknown field ${JSON.stringify(key.slice(0, 40))}`;
    }
  }
  return out;
};
