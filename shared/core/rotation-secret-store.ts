/** Secrets Manager's staging labels, as rotation uses them. */
export const STAGE = {
  current: 'AWSCURRENT',
  pending: 'AWSPENDING',
  previous: 'AWSPREVIOUS',
} as const;

export interface SecretDescription {
  /** The full ARN: stable however the caller named the secret, so it can key the token purpose. */
  readonly arn: string;
  readonly rotationEnabled: boolean;
  /** Version id → staging labels, for the versions that carry at least one label. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

export interface StoredSecretVersion {
  readonly versionId: string;
  readonly stages: readonly string[];
  /** The SecretString: a secret, never logged. */
  readonly secretString: string;
}

/**
 * `stored`: the version now holds the value (or already held exactly this value).
 * `version-exists`: the version already holds a DIFFERENT value (a concurrent run got there first).
 */
export type PutPendingOutcome = 'stored' | 'version-exists';

/**
 * Port: what a rotation function needs from Secrets Manager. The broker itself only ever reads
 * AWSCURRENT (SecretSource); this port alone sees pending values. Failures are BrokerErrors with
 * SECRET_* codes (BAD_REQUEST when Secrets Manager refuses a call for the secret's state).
 */
export interface RotationSecretStore {
  describe(secretId: string, signal?: AbortSignal): Promise<SecretDescription>;
  /**
   * The value of the version holding `stage` (and being `versionId` when given); undefined when no
   * such version has a value, as for the empty AWSPENDING version RotateSecret creates before
   * createSecret runs.
   */
  getValue(
    secretId: string,
    query: { readonly versionId?: string; readonly stage: string },
    signal?: AbortSignal,
  ): Promise<StoredSecretVersion | undefined>;
  /** PutSecretValue with the rotation's ClientRequestToken as version id, labelled AWSPENDING. */
  putPending(
    secretId: string,
    clientRequestToken: string,
    secretString: string,
    signal?: AbortSignal,
  ): Promise<PutPendingOutcome>;
  /** Moves AWSCURRENT from `oldVersionId` to `newVersionId` (Secrets Manager then labels the old one AWSPREVIOUS). */
  promote(secretId: string, newVersionId: string, oldVersionId: string, signal?: AbortSignal): Promise<void>;
}
