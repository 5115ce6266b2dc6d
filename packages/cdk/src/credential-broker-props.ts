import { Duration } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigateway';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { BrokerConfigInput } from '../../../shared/config/broker-config.ts';

type ConfigCredential = BrokerConfigInput['credentials'][number];

/**
 * A credential as the construct takes it: the config shape, but with the secret as an `ISecret`, so
 * the construct can derive both the `secretId` the functions read and the exact ARN it grants.
 */
export interface BrokerCredential extends Omit<ConfigCredential, 'secretId'> {
  /**
   * The Secrets Manager secret of the upstream credentials: required for every kind but
   * `lti-advantage`, which has none (its client assertions are signed by `ltiSigningKey` in KMS).
   */
  readonly secret?: ISecret;
}

/** Defaults of CanvasTokenRotation (shared by validation and the construct). */
export const ROTATION_DEFAULTS = { rotateEvery: Duration.days(30), tokenExpiryDays: 90 } as const;

/** Rotation of the broker's own long-lived Canvas access token through Secrets Manager. */
export interface CanvasTokenRotation {
  /** The secret holding the Canvas access token; the rotation function may touch this secret only. */
  readonly secret: ISecret;
  /** Canvas host the token belongs to (https). */
  readonly canvasBaseUrl: string;
  /** @default Duration.days(30) */
  readonly rotateEvery?: Duration;
  /**
   * Lifetime of each newly issued Canvas token, in days. Must outlive the rotation interval so a
   * token never expires before its successor exists.
   * @default 90
   */
  readonly tokenExpiryDays?: number;
}

export interface CredentialBrokerProps {
  /** The credentials the broker can mint tokens for. Ids match /^[a-z0-9][a-z0-9-]{0,62}$/. */
  readonly credentials: readonly BrokerCredential[];
  /** Deny-by-default caller policy enforced by the functions (see BrokerConfigInput['callers']). */
  readonly callers: BrokerConfigInput['callers'];
  /** Overrides of the broker's lifecycle settings, in milliseconds (validated like the runtime does). */
  readonly settings?: BrokerConfigInput['settings'];

  /**
   * The API's resource policy admits principals of this organization (aws:PrincipalOrgID). At least
   * one of `allowedOrganizationId` and `allowedAccountIds` is required; when both are given, a
   * principal matching either is admitted.
   */
  readonly allowedOrganizationId?: string;
  /** The API's resource policy admits principals of these accounts (aws:PrincipalAccount). */
  readonly allowedAccountIds?: readonly string[];

  /** Stage throttling. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttle?: ThrottleSettings;
  /** @default 'prod' */
  readonly stageName?: string;
  /** A WAFv2 web ACL to associate with the API stage. */
  readonly webAclArn?: string;
  /**
   * Create the account-wide API Gateway CloudWatch Logs role that access and execution logs need.
   * Set false when the account already has one (it is a single regional account setting).
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;

  /** How often pre-warm renews stale, recently used tokens. @default Duration.minutes(1) */
  readonly prewarmInterval?: Duration;
  /** Rotation of the broker's Canvas access token; no rotation function is deployed without it. */
  readonly canvasTokenRotation?: CanvasTokenRotation;

  /** Bring your own envelope key (otherwise one is created, with rotation on). */
  readonly envelopeKey?: IKey;
  /** Bring your own table key (otherwise one is created, with rotation on). */
  readonly tableEncryptionKey?: IKey;

  /**
   * The asymmetric KMS key (RSA_2048 or RSA_3072, SIGN_VERIFY) that signs LTI Advantage client
   * assertions. Only used when a credential is of kind `lti-advantage`; otherwise one is created
   * (RSA_2048, retained). Give it by key ARN, not alias: the JWKS `kid` names one key for good.
   */
  readonly ltiSigningKey?: IKey;
  /**
   * Keys still published in the JWKS (after the current one) during a signing-key rotation; they
   * never sign. Keep the old key here for longer than `jwksMaxAge` after switching
   * `ltiSigningKey`, then remove it. At most 5.
   */
  readonly ltiPreviousSigningKeys?: readonly IKey[];
  /** Cache-Control max-age of the JWKS, whole seconds from 0 to 1 day. @default Duration.minutes(5) */
  readonly jwksMaxAge?: Duration;
  /** Throttling of the unauthenticated JWKS route (Canvas fetches it rarely). @default { rateLimit: 10, burstLimit: 20 } */
  readonly jwksThrottle?: ThrottleSettings;

  /** Function log retention. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** API access log retention (the audit trail of who got which token). @default RetentionDays.ONE_YEAR */
  readonly accessLogRetention?: RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** CloudWatch namespace of the broker's metrics; distinct per deployment to tell them apart. */
  readonly metricsNamespace?: string;
  /** Alarm and OK actions go to this topic. */
  readonly alarmTopic?: ITopic;
}
