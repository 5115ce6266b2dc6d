import { randomBytes, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { fingerprint } from '../../shared/core/fingerprint.ts';

/**
 * A Canvas LTI 1.3 developer key, as the token endpoint sees it: the client id (Canvas's global
 * id of the key, an integer), the scopes the key allows, and the tool's public key, either one
 * JWK (`public_jwk`) or a JWKS URL (`public_jwk_url`) fetched on every token request.
 */
export interface LtiDeveloperKey {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly publicJwk?: JWK;
  readonly publicJwkUrl?: string;
  /** An inactive (deleted or off) key answers like an unknown one. Default true. */
  readonly active?: boolean;
}

export interface LtiIssuedAccessToken {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly iat: number;
  readonly exp: number;
}

export interface LtiTokenStateOptions {
  readonly keys?: readonly LtiDeveloperKey[];
  /**
   * Refuse an assertion whose `sub:jti` was seen before it expired. Current Canvas builds its
   * validator with `skip_jti_check: true` for client-credentials assertions (so a replay would
   * pass there); the simulator refuses by default so tests prove the broker never replays one.
   */
  readonly rejectReplayedJti?: boolean;
  /**
   * Audiences accepted besides `{origin}/login/oauth2/token`: Instructure-hosted Canvas also
   * accepts its LTI OIDC auth domain (e.g. `sso.canvaslms.com`).
   */
  readonly extraAudiences?: readonly string[];
  /** Token lifetime, seconds; Canvas: 1 hour. */
  readonly lifetimeSeconds?: number;
  /** Fetches a key's JWKS URL; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Deadline for fetching a JWKS URL; default 5 s. */
  readonly jwksTimeoutMs?: number;
}

export interface LtiTokenState {
  readonly rejectReplayedJti: boolean;
  readonly extraAudiences: readonly string[];
  readonly lifetimeSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly fetch: typeof fetch;
  /** The HS256 secret the simulated Canvas signs its LTI access tokens with (Canvas::Security.create_jwt). */
  readonly tokenSigningSecret: Uint8Array;
  /** Adds or replaces a developer key (by client id). */
  registerKey(key: LtiDeveloperKey): void;
  key(clientId: string): LtiDeveloperKey | undefined;
  /**
   * Lti::Security.check_and_store_nonce: true the first time `sub:jti` is seen; remembered until
   * `untilSeconds`, so a replay inside the assertion's life is refused and memory stays bounded.
   */
  checkAndStoreNonce(sub: string, jti: string, untilSeconds: number, nowSeconds: number): boolean;
  remember(token: string, issued: LtiIssuedAccessToken): void;
  /** What the simulator issued for this token, if it did. */
  issued(token: string): LtiIssuedAccessToken | undefined;
  /** Counts for tests: assertions answered 200, and refused. */
  readonly counts: { minted: number; refused: number };
  /** Back to the configured keys; nonces, tokens and counts forgotten. */
  reset(): void;
}

export const DEFAULT_LTI_TOKEN_LIFETIME_SECONDS = 3600;

export const makeLtiTokenState = (options: LtiTokenStateOptions = {}): LtiTokenState => {
  const initialKeys = options.keys ?? [];
  const keys = new Map<string, LtiDeveloperKey>();
  const nonces = new Map<string, number>();
  const tokens = new Map<string, LtiIssuedAccessToken>();
  const counts = { minted: 0, refused: 0 };
  const load = () => {
    keys.clear();
    for (const key of initialKeys) keys.set(key.clientId, key);
  };
  load();
  return {
    rejectReplayedJti: options.rejectReplayedJti ?? true,
    extraAudiences: options.extraAudiences ?? [],
    lifetimeSeconds: options.lifetimeSeconds ?? DEFAULT_LTI_TOKEN_LIFETIME_SECONDS,
    jwksTimeoutMs: options.jwksTimeoutMs ?? 5_000,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    tokenSigningSecret: new Uint8Array(randomBytes(32)),
    registerKey: (key) => {
      keys.set(key.clientId, key);
    },
    key: (clientId) => keys.get(clientId),
    checkAndStoreNonce: (sub, jti, untilSeconds, nowSeconds) => {
      for (const [name, until] of nonces) if (until < nowSeconds) nonces.delete(name);
      const name = `nonce:${sub}:${jti}`;
      if (nonces.has(name)) return false;
      nonces.set(name, untilSeconds);
      return true;
    },
    // Keyed by fingerprint: the simulator holds no more of a token than it needs to recognise it.
    remember: (token, issued) => {
      tokens.set(fingerprint(token), issued);
    },
    issued: (token) => tokens.get(fingerprint(token)),
    counts,
    reset: () => {
      load();
      nonces.clear();
      tokens.clear();
      counts.minted = 0;
      counts.refused = 0;
    },
  };
};

/** A fresh id for a simulated developer key: Canvas global ids are integers (10000000000000 + local id). */
export const simulatedClientId = (): string =>
  String(10_000_000_000_000 + (Number.parseInt(randomUUID().slice(0, 6), 16) % 1_000_000));
