import { readFile } from 'node:fs/promises';
import {
  SecretAccessDeniedError,
  SecretMalformedError,
  SecretNotFoundError,
  SecretUnavailableError,
} from '../../core/errors.ts';
import { fingerprint } from '../../core/fingerprint.ts';
import { secretFieldsOf } from '../../core/secret-fields.ts';
import type { SecretReadOptions, SecretSource, SecretValue } from '../../core/secret-source.ts';
import { canonicalJson } from '../crypto/canonical-json.ts';

export interface FileSecretSourceDeps {
  /** A JSON file `{ "<secretId>": { "<field>": "<string>" } }`. */
  readonly path: string;
}

const errorCode = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Local mode's Secrets Manager: the file is read on every `get` (wrap it in the cached source), so
 * editing it is the local equivalent of rotating a secret. The version id is a fingerprint of the
 * entry's canonical content: an edit is a new version, an untouched entry keeps its version.
 *
 * Errors name the file, the secret id and at most a field name. The JSON parser's own message and
 * error are never passed on: V8 quotes the text it failed on, which would be the secret.
 */
export const makeFileSecretSource = ({ path }: FileSecretSourceDeps): SecretSource => ({
  async get(secretId: string, options: SecretReadOptions = {}): Promise<SecretValue> {
    const { signal } = options;
    const details = { secretId, path };
    let text: string;
    try {
      text = await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const code = errorCode(error);
      if (code === 'ENOENT') {
        throw new SecretNotFoundError(`Secret ${secretId} was not found: no secrets file at ${path}.`, {
          cause: error,
          details,
        });
      }
      if (code === 'EACCES' || code === 'EPERM') {
        throw new SecretAccessDeniedError(`The secrets file ${path} is not readable.`, {
          cause: error,
          details,
        });
      }
      throw new SecretUnavailableError(`The secrets file ${path} could not be read.`, {
        cause: error,
        details,
      });
    }

    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new SecretMalformedError(`The secrets file ${path} is not valid JSON.`, { details });
    }
    if (!isObject(document)) {
      throw new SecretMalformedError(`The secrets file ${path} is not a JSON object of secrets.`, {
        details,
      });
    }
    if (!Object.hasOwn(document, secretId)) {
      throw new SecretNotFoundError(`Secret ${secretId} is not in the secrets file ${path}.`, { details });
    }
    const entry = document[secretId];
    if (!isObject(entry)) {
      throw new SecretMalformedError(`Secret ${secretId} in ${path} is not a JSON object of string fields.`, {
        details,
      });
    }
    const fields = secretFieldsOf(
      entry,
      (name) =>
        new SecretMalformedError(
          `Secret ${secretId} in ${path} has a field "${name}" that is not a string.`,
          {
            details: { ...details, field: name },
          },
        ),
    );
    return { versionId: fingerprint(canonicalJson(fields)), fields };
  },
});
