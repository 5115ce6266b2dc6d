import { randomUUID } from 'node:crypto';
import { parseSecretFields } from '../../../shared/adapters/aws/secrets-manager-secret-fields.ts';
import { BadRequestError, SecretNotFoundError } from '../../../shared/core/errors.ts';
import {
  type RotationSecretStore,
  STAGE,
  type StoredSecretVersion,
} from '../../../shared/core/rotation-secret-store.ts';
import type { SecretSource } from '../../../shared/core/secret-source.ts';

interface Version {
  readonly id: string;
  value: string | undefined;
  readonly stages: Set<string>;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  rotationEnabled: boolean;
  /** Insertion order; versions that lose every label stay (deprecated), as in Secrets Manager. */
  readonly versions: Map<string, Version>;
}

export interface MemorySecretsManager extends RotationSecretStore {
  /** CreateSecret: one version labelled AWSCURRENT. Returns the ARN and the version id. */
  create(name: string, secretString: string): { arn: string; versionId: string };
  enableRotation(secretId: string): void;
  /**
   * What RotateSecret does before invoking the function: a version with the ClientRequestToken as
   * id, no value, labelled AWSPENDING. Refused while another rotation is in progress (AWSPENDING on
   * a version other than AWSCURRENT), unless it is the same token (a retry).
   */
  startRotation(secretId: string, clientRequestToken?: string): string;
  /** Operator recovery from a failed rotation: UpdateSecretVersionStage RemoveFromVersionId. */
  removeStage(secretId: string, stage: string, versionId: string): void;
  /** Every version with its labels and value (values are secrets: assert on them, never print them). */
  versions(secretId: string): Array<{ id: string; stages: string[]; value: string | undefined }>;
  /** The broker's view: AWSCURRENT only, parsed as the Secrets Manager secret source parses it. */
  readonly secretSource: SecretSource;
  /** Every version id the broker's view has ever returned. */
  readonly served: string[];
}

/**
 * Secrets Manager's versioning semantics, in memory, faithfully enough to test a rotation function:
 * staging labels unique per secret and moved (never copied), AWSPREVIOUS following AWSCURRENT,
 * ClientRequestToken idempotency (same value: no-op; different value: ResourceExistsException),
 * DescribeSecret listing labelled versions only, the empty AWSPENDING version RotateSecret creates.
 */
export const makeMemorySecretsManager = (): MemorySecretsManager => {
  const secrets = new Map<string, Secret>();
  const served: string[] = [];

  const find = (secretId: string): Secret => {
    const secret = secrets.get(secretId) ?? [...secrets.values()].find((s) => s.name === secretId);
    if (!secret) throw new SecretNotFoundError(`Secret ${secretId} was not found in Secrets Manager.`);
    return secret;
  };
  const holder = (secret: Secret, stage: string): Version | undefined =>
    [...secret.versions.values()].find((v) => v.stages.has(stage));
  /** Moves a label to `target`, as PutSecretValue and UpdateSecretVersionStage do. */
  const moveStage = (secret: Secret, stage: string, target: Version) => {
    for (const version of secret.versions.values()) version.stages.delete(stage);
    target.stages.add(stage);
  };
  const snapshot = (version: Version): StoredSecretVersion | undefined =>
    version.value === undefined
      ? undefined
      : { versionId: version.id, stages: [...version.stages], secretString: version.value };

  const store: MemorySecretsManager = {
    served,

    create(name, secretString) {
      const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${randomUUID().slice(0, 6)}`;
      const version: Version = { id: randomUUID(), value: secretString, stages: new Set([STAGE.current]) };
      secrets.set(arn, { arn, name, rotationEnabled: false, versions: new Map([[version.id, version]]) });
      return { arn, versionId: version.id };
    },

    enableRotation(secretId) {
      find(secretId).rotationEnabled = true;
    },

    startRotation(secretId, clientRequestToken = randomUUID()) {
      const secret = find(secretId);
      const pending = holder(secret, STAGE.pending);
      if (pending && !pending.stages.has(STAGE.current) && pending.id !== clientRequestToken) {
        throw new BadRequestError(
          `A previous rotation of ${secret.arn} isn't complete (InvalidRequestException).`,
        );
      }
      let version = secret.versions.get(clientRequestToken);
      if (!version) {
        version = { id: clientRequestToken, value: undefined, stages: new Set() };
        secret.versions.set(version.id, version);
      }
      moveStage(secret, STAGE.pending, version);
      return clientRequestToken;
    },

    removeStage(secretId, stage, versionId) {
      find(secretId).versions.get(versionId)?.stages.delete(stage);
    },

    versions(secretId) {
      return [...find(secretId).versions.values()].map((v) => ({
        id: v.id,
        stages: [...v.stages],
        value: v.value,
      }));
    },

    secretSource: {
      async get(secretId) {
        const current = holder(find(secretId), STAGE.current);
        if (!current?.value) throw new SecretNotFoundError(`Secret ${secretId} has no current value.`);
        served.push(current.id);
        return {
          versionId: current.id,
          fields: parseSecretFields(secretId, { SecretString: current.value }),
        };
      },
    },

    async describe(secretId) {
      const secret = find(secretId);
      const versions: Record<string, string[]> = {};
      for (const version of secret.versions.values()) {
        if (version.stages.size > 0) versions[version.id] = [...version.stages];
      }
      return { arn: secret.arn, rotationEnabled: secret.rotationEnabled, versions };
    },

    async getValue(secretId, { versionId, stage }) {
      const secret = find(secretId);
      const version = versionId === undefined ? holder(secret, stage) : secret.versions.get(versionId);
      if (!version?.stages.has(stage)) return undefined;
      return snapshot(version);
    },

    async putPending(secretId, clientRequestToken, secretString) {
      const secret = find(secretId);
      let version = secret.versions.get(clientRequestToken);
      if (version?.value !== undefined) return version.value === secretString ? 'stored' : 'version-exists';
      if (!version) {
        version = { id: clientRequestToken, value: undefined, stages: new Set() };
        secret.versions.set(version.id, version);
      }
      version.value = secretString;
      moveStage(secret, STAGE.pending, version);
      return 'stored';
    },

    async promote(secretId, newVersionId, oldVersionId) {
      const secret = find(secretId);
      const next = secret.versions.get(newVersionId);
      const old = secret.versions.get(oldVersionId);
      if (!next || !old?.stages.has(STAGE.current)) {
        throw new BadRequestError(
          `UpdateSecretVersionStage: Secrets Manager refused the call for secret ${secret.arn} (InvalidParameterException).`,
        );
      }
      moveStage(secret, STAGE.current, next);
      if (old !== next) moveStage(secret, STAGE.previous, old);
    },
  };
  return store;
};
