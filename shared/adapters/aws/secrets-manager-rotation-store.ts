import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SecretMalformedError } from '../../core/errors.ts';
import { type RotationSecretStore, STAGE } from '../../core/rotation-secret-store.ts';
import { translateSecretsManagerError } from './secrets-manager-error-translation.ts';
import { translateSecretsManagerRotationError } from './secrets-manager-rotation-error-translation.ts';

export interface SecretsManagerRotationStoreDeps {
  readonly client: SecretsManagerClient;
}

const nameOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;

/** Runs one SDK call; a caller abort rejects with the caller's reason, anything else is translated. */
const call = async <T>(
  send: (options: { abortSignal?: AbortSignal }) => Promise<T>,
  signal: AbortSignal | undefined,
  translate: (error: unknown) => unknown,
): Promise<T> => {
  try {
    return await send(signal ? { abortSignal: signal } : {});
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw translate(error);
  }
};

/**
 * The rotation's Secrets Manager port on the SDK. Idempotency comes from Secrets Manager itself:
 * PutSecretValue with the rotation's ClientRequestToken is a no-op when that version already holds
 * the same value, and ResourceExistsException when it holds another (reported, not thrown).
 */
export const makeSecretsManagerRotationStore = ({
  client,
}: SecretsManagerRotationStoreDeps): RotationSecretStore => ({
  async describe(secretId, signal) {
    const response = await call(
      (options) => client.send(new DescribeSecretCommand({ SecretId: secretId }), options),
      signal,
      (error) => translateSecretsManagerRotationError(error, secretId, 'DescribeSecret'),
    );
    return {
      arn: response.ARN ?? secretId,
      rotationEnabled: response.RotationEnabled === true,
      versions: response.VersionIdsToStages ?? {},
    };
  },

  async getValue(secretId, { versionId, stage }, signal) {
    const response = await call(
      (options) =>
        client
          .send(
            new GetSecretValueCommand({
              SecretId: secretId,
              ...(versionId === undefined ? {} : { VersionId: versionId }),
              VersionStage: stage,
            }),
            options,
          )
          // A version without a value (the empty AWSPENDING one RotateSecret creates) is "not found".
          .catch((error: unknown) => {
            if (nameOf(error) === 'ResourceNotFoundException') return undefined;
            throw error;
          }),
      signal,
      (error) => translateSecretsManagerError(error, secretId),
    );
    if (response === undefined) return undefined;
    const version = versionId ?? stage;
    if (response.SecretString === undefined || response.VersionId === undefined) {
      throw new SecretMalformedError(
        `Secret ${secretId} version ${version} has no string value and version id.`,
        {
          details: { secretId, stage },
        },
      );
    }
    return {
      versionId: response.VersionId,
      stages: response.VersionStages ?? [stage],
      secretString: response.SecretString,
    };
  },

  async putPending(secretId, clientRequestToken, secretString, signal) {
    try {
      await client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: clientRequestToken,
          SecretString: secretString,
          VersionStages: [STAGE.pending],
        }),
        signal ? { abortSignal: signal } : {},
      );
      return 'stored';
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (nameOf(error) === 'ResourceExistsException') return 'version-exists';
      throw translateSecretsManagerRotationError(error, secretId, 'PutSecretValue');
    }
  },

  async promote(secretId, newVersionId, oldVersionId, signal) {
    await call(
      (options) =>
        client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: STAGE.current,
            MoveToVersionId: newVersionId,
            RemoveFromVersionId: oldVersionId,
          }),
          options,
        ),
      signal,
      (error) => translateSecretsManagerRotationError(error, secretId, 'UpdateSecretVersionStage'),
    );
  },
});
