/** A secret's current value, with the version that produced it (recorded on every minted token). */
export interface SecretValue {
  readonly versionId: string;
  readonly fields: Readonly<Record<string, string>>;
}

export interface SecretReadOptions {
  /** Bypass every cache: used once after upstream rejected the credentials. */
  readonly forceRefresh?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Port: where long-lived credentials come from. Only the current version (AWSCURRENT) is ever read;
 * a pending rotation value is never served. Failures are BrokerErrors with SECRET_* codes.
 *
 * Field names by kind: identity-service `clientId`, `clientSecret`; canvas-jwt and inst-access
 * `accessToken` (rotation also keeps `tokenId` and `tokenHint`).
 */
export interface SecretSource {
  get(secretId: string, options?: SecretReadOptions): Promise<SecretValue>;
}
