import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretMalformedError } from '../../core/errors.ts';
import type { SecretReadOptions, SecretSource, SecretValue } from '../../core/secret-source.ts';
import { translateSecretsManagerError } from './secrets-manager-error-translation.ts';
import { parseSecretFields } from './secrets-manager-secret-fields.ts';

export interface SecretsManagerSecretSourceDeps {
  readonly client: SecretsManagerClient;
}

/**
 * Reads credentials from Secrets Manager, one GetSecretValue per call (wrap it in the cached
 * source). `forceRefresh` needs no handling here: nothing below this adapter caches.
 */
export const makeSecretsManagerSecretSource = ({ client }: SecretsManagerSecretSourceDeps): SecretSource => ({
  async get(secretId: string, options: SecretReadOptions = {}): Promise<SecretValue> {
    const { signal } = options;
    let response: GetSecretValueCommandOutput;
    try {
      response = await client.send(
        // Always pin AWSCURRENT: during a rotation the new value sits in AWSPENDING until it has
        // been tested, and the broker must never mint with a value that may not work yet.
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      // The caller gave up: report its reason, not a Secrets Manager failure.
      if (signal?.aborted) throw signal.reason;
      throw translateSecretsManagerError(error, secretId);
    }
    const fields = parseSecretFields(secretId, response);
    if (!response.VersionId) {
      throw new SecretMalformedError(`Secret ${secretId} was returned without a version id.`, {
        details: { secretId },
      });
    }
    return { versionId: response.VersionId, fields };
  },
});
