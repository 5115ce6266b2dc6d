import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, RotationSchedule } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { API_ROUTES, JWKS_ROUTE, routePaths } from '../../../shared/config/api-routes.ts';
import type { BrokerConfigInput } from '../../../shared/config/broker-config.ts';
import { ENV, FUNCTION_ENTRIES, METRICS_NAMESPACE, SERVICE_NAME } from '../../../shared/config/env-names.ts';
import {
  credentialPartitionKey,
  TABLE_KEY,
  TTL_ATTRIBUTE,
} from '../../../shared/config/token-table-layout.ts';
import { BrokerApi } from './broker-api.ts';
import { BrokerFunction } from './broker-function.ts';
import { BrokerMonitoring } from './broker-monitoring.ts';
import { type CredentialBrokerProps, ROTATION_DEFAULTS } from './credential-broker-props.ts';
import { validateBrokerProps } from './validate-broker-props.ts';

/** The table operations the broker's store performs (reads, leases, fenced writes, purge). */
const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
];

/** API Gateway gives up on an integration after 29 s; answering first keeps errors ours (503, not 504). */
const TOKEN_API_TIMEOUT = Duration.seconds(25);

/** What KMS is asked in Sign (kms-assertion-signer.ts): the role may ask for nothing else. */
const LTI_SIGN_CONDITIONS = {
  StringEquals: { 'kms:SigningAlgorithm': 'RSASSA_PKCS1_V1_5_SHA_256', 'kms:MessageType': 'DIGEST' },
};

/** Exact ARN of a secret for IAM: an ARN without Secrets Manager's random suffix needs its 6-character pattern. */
const secretPolicyArn = (secret: ISecret): string => secret.secretFullArn ?? `${secret.secretArn}-??????`;

/**
 * The whole canvas-credential-broker in one construct: token table and keys, the functions, the
 * IAM-authenticated REST API, direct invoke, pre-warm schedule, optional Canvas token rotation,
 * with an lti-advantage credential the KMS signing key and the public JWKS route, alarms and
 * dashboard. Each function's environment variable is set together with the grant it
 * implies, scoped to exactly the resources configured.
 */
export class CredentialBroker extends Construct {
  /** The validated config the functions receive as BROKER_CONFIG. */
  readonly config: BrokerConfigInput;
  readonly table: Table;
  readonly tableKey: IKey;
  readonly envelopeKey: IKey;
  readonly api: RestApi;
  readonly accessLogGroup: LogGroup;
  readonly tokenApiFunction: LambdaFn;
  readonly tokenInvokeFunction: LambdaFn;
  readonly prewarmFunction: LambdaFn;
  /** Present only when `canvasTokenRotation` is configured. */
  readonly rotateCanvasTokenFunction?: LambdaFn;
  /** The key that signs LTI Advantage client assertions; present only with an lti-advantage credential. */
  readonly ltiSigningKey?: IKey;
  /** Serves the public JWKS; present only with an lti-advantage credential. */
  readonly jwksFunction?: LambdaFn;
  /**
   * The URL to enter as the Canvas developer key's "Public JWK URL" (`GET /.well-known/jwks.json`,
   * unauthenticated); present only with an lti-advantage credential.
   */
  readonly jwksUrl?: string;
  /** Every function of the broker, by FUNCTION_ENTRIES key. */
  readonly functions: Readonly<Partial<Record<keyof typeof FUNCTION_ENTRIES, LambdaFn>>>;
  readonly prewarmRule: Rule;
  readonly rotationSchedule?: RotationSchedule;
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  private readonly credentialIds: ReadonlySet<string>;

  constructor(scope: Construct, id: string, props: CredentialBrokerProps) {
    super(scope, id);
    this.config = validateBrokerProps(props);
    this.credentialIds = new Set(this.config.credentials.map((c) => c.id));

    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;
    const powertoolsEnv = {
      [ENV.serviceName]: SERVICE_NAME,
      [ENV.metricsNamespace]: metricsNamespace,
      [ENV.logLevel]: props.logLevel ?? 'INFO',
    };

    // Two keys, not one: the table key is used only by DynamoDB on the functions' behalf
    // (kms:ViaService), while the envelope key is used by the functions directly, bound to each
    // item by encryption context. Someone who can read the table (an export, a restored backup,
    // a read-only role) still cannot decrypt a token without the envelope key, and CloudTrail tells
    // token decrypts apart from table traffic.
    this.tableKey =
      props.tableEncryptionKey ??
      new Key(this, 'TableKey', {
        description: 'canvas-credential-broker: DynamoDB table encryption',
        enableKeyRotation: true,
        // The table is retained; its key must outlive the stack with it.
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.envelopeKey =
      props.envelopeKey ??
      new Key(this, 'EnvelopeKey', {
        description: 'canvas-credential-broker: envelope encryption of cached tokens',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    const usesLti = this.config.credentials.some((c) => c.kind === 'lti-advantage');
    if (usesLti) {
      // Asymmetric and SIGN_VERIFY: the private key is generated in KMS and never leaves it; the
      // functions get its signatures (kms:Sign) and the world gets its public half (the JWKS).
      // KMS does not rotate asymmetric keys: rotate by creating a new key and passing the old one in
      // ltiPreviousSigningKeys during the overlap (README, "LTI Advantage").
      this.ltiSigningKey =
        props.ltiSigningKey ??
        new Key(this, 'LtiSigningKey', {
          description: 'canvas-credential-broker: signs LTI Advantage client assertions (RS256)',
          keySpec: KeySpec.RSA_2048,
          keyUsage: KeyUsage.SIGN_VERIFY,
          // Canvas's developer key trusts this key through the JWKS; deleting it with the stack
          // would break every LTI installation until the key is re-registered.
          removalPolicy: RemovalPolicy.RETAIN,
        });
    }

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEY.partition, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Garbage collection only: expiry is decided by `expiresAt` in the item, never by TTL.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      // Mint history is the audit trail of issued tokens; losing it with a stack is not acceptable.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const brokerEnv = {
      [ENV.tableName]: this.table.tableName,
      [ENV.envelopeKeyArn]: this.envelopeKey.keyArn,
      // Secret ARNs are the only tokens inside, and ARNs need no JSON escaping.
      [ENV.config]: JSON.stringify(this.config),
      ...(this.ltiSigningKey ? { [ENV.ltiSigningKeyArn]: this.ltiSigningKey.keyArn } : {}),
      ...powertoolsEnv,
    };
    const brokerFunction = (
      fnId: string,
      entry: string,
      description: string,
      timeout: Duration,
    ): LambdaFn => {
      const fn = new BrokerFunction(this, fnId, {
        entry,
        description,
        memorySize: 512,
        timeout,
        logRetention,
        environment: brokerEnv,
      }).function;
      this.grantBrokerRuntime(fn, props);
      return fn;
    };

    this.tokenApiFunction = brokerFunction(
      'TokenApi',
      FUNCTION_ENTRIES.tokenApi,
      'Serves tokens over the REST API',
      TOKEN_API_TIMEOUT,
    );
    this.tokenInvokeFunction = brokerFunction(
      'TokenInvoke',
      FUNCTION_ENTRIES.tokenInvoke,
      'Serves tokens to direct Lambda invokers',
      Duration.seconds(30),
    );
    const prewarmInterval = props.prewarmInterval ?? Duration.minutes(1);
    // A run should end before the next tick; overlapping runs are safe (leases) but wasteful.
    const prewarmTimeout = Duration.seconds(Math.min(Math.max(prewarmInterval.toSeconds() - 5, 30), 300));
    this.prewarmFunction = brokerFunction(
      'Prewarm',
      FUNCTION_ENTRIES.prewarm,
      'Renews stale, recently used tokens',
      prewarmTimeout,
    );

    this.prewarmRule = new Rule(this, 'PrewarmSchedule', {
      description: 'canvas-credential-broker: renew stale tokens before callers need them',
      schedule: Schedule.rate(prewarmInterval),
      // The next tick is the retry.
      targets: [new LambdaFunction(this.prewarmFunction, { retryAttempts: 0 })],
    });

    const functions: Partial<Record<keyof typeof FUNCTION_ENTRIES, LambdaFn>> = {
      tokenApi: this.tokenApiFunction,
      tokenInvoke: this.tokenInvokeFunction,
      prewarm: this.prewarmFunction,
    };

    if (props.canvasTokenRotation) {
      const rotation = props.canvasTokenRotation;
      const rotateEvery = rotation.rotateEvery ?? ROTATION_DEFAULTS.rotateEvery;
      const fn = new BrokerFunction(this, 'RotateCanvasToken', {
        entry: FUNCTION_ENTRIES.rotateCanvasToken,
        description: "Rotates the broker's Canvas access token",
        memorySize: 256,
        timeout: Duration.minutes(1),
        logRetention,
        environment: {
          [ENV.canvasBaseUrl]: rotation.canvasBaseUrl,
          [ENV.rotationTokenExpiryDays]: String(
            rotation.tokenExpiryDays ?? ROTATION_DEFAULTS.tokenExpiryDays,
          ),
          // So the function can tell a token Canvas clamped below the schedule (see monitoring).
          [ENV.rotationRotateEveryDays]: String(Math.ceil(rotateEvery.toDays({ integral: false }))),
          ...powertoolsEnv,
        },
      }).function;
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: [
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:DescribeSecret',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          resources: [secretPolicyArn(rotation.secret)],
        }),
      );
      this.grantSecretKey(fn, rotation.secret, ['kms:Decrypt', 'kms:GenerateDataKey']);
      fn.addPermission('InvokedBySecretsManager', {
        principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
        sourceAccount: Stack.of(this).account,
      });
      this.rotationSchedule = new RotationSchedule(this, 'CanvasTokenRotation', {
        secret: rotation.secret,
        // An imported reference: RotationSchedule would otherwise add its own grants to the role,
        // including secretsmanager:GetRandomPassword on `*`, which a Canvas token does not need.
        rotationLambda: LambdaFn.fromFunctionAttributes(this, 'RotateCanvasTokenRef', {
          functionArn: fn.functionArn,
          sameEnvironment: true,
          skipPermissions: true,
        }),
        automaticallyAfter: rotateEvery,
        // First rotation on schedule, not during the deploy that introduces it.
        rotateImmediatelyOnUpdate: false,
      });
      this.rotationSchedule.node.addDependency(fn);
      this.rotateCanvasTokenFunction = fn;
      functions.rotateCanvasToken = fn;
    }
    if (this.ltiSigningKey) {
      const previousKeys = props.ltiPreviousSigningKeys ?? [];
      const fn = new BrokerFunction(this, 'Jwks', {
        entry: FUNCTION_ENTRIES.jwks,
        description: 'Serves the public JWKS of the LTI signing keys',
        memorySize: 256,
        timeout: Duration.seconds(10),
        logRetention,
        // Key ARNs and a max-age only: no table, no config, no secret behind this public route.
        environment: {
          [ENV.ltiSigningKeyArn]: this.ltiSigningKey.keyArn,
          ...(previousKeys.length === 0
            ? {}
            : { [ENV.ltiPreviousSigningKeyArns]: previousKeys.map((k) => k.keyArn).join(',') }),
          ...(props.jwksMaxAge === undefined
            ? {}
            : { [ENV.jwksMaxAgeSeconds]: String(props.jwksMaxAge.toSeconds()) }),
          ...powertoolsEnv,
        },
      }).function;
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:GetPublicKey'],
          resources: [this.ltiSigningKey, ...previousKeys].map((k) => k.keyArn),
        }),
      );
      this.jwksFunction = fn;
      functions.jwks = fn;
    }
    this.functions = functions;

    const stageName = props.stageName ?? 'prod';
    const api = new BrokerApi(this, 'Api', {
      handler: this.tokenApiFunction,
      ...(props.allowedOrganizationId === undefined
        ? {}
        : { allowedOrganizationId: props.allowedOrganizationId }),
      ...(props.allowedAccountIds === undefined ? {} : { allowedAccountIds: props.allowedAccountIds }),
      throttle: {
        rateLimit: props.throttle?.rateLimit ?? 100,
        burstLimit: props.throttle?.burstLimit ?? 200,
      },
      stageName,
      accessLogRetention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
      ...(props.webAclArn === undefined ? {} : { webAclArn: props.webAclArn }),
      cloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
      ...(this.jwksFunction
        ? {
            jwks: {
              handler: this.jwksFunction,
              throttle: {
                rateLimit: props.jwksThrottle?.rateLimit ?? 10,
                burstLimit: props.jwksThrottle?.burstLimit ?? 20,
              },
            },
          }
        : {}),
    });
    this.api = api.restApi;
    this.accessLogGroup = api.accessLogGroup;
    if (this.jwksFunction) this.jwksUrl = this.api.urlForPath(JWKS_ROUTE.resource);
    // Set together with the integration and its API-Gateway-only invoke permission: token-api
    // refuses events naming any other API or stage. A direct invoker could copy these values,
    // so invoking token-api stays admin-equivalent and is granted to API Gateway alone.
    this.tokenApiFunction.addEnvironment(ENV.apiId, this.api.restApiId);
    // The literal name, not deploymentStage.stageName: a Ref to the stage would make the function
    // depend on the deployment, which depends on the methods, which depend on the function.
    this.tokenApiFunction.addEnvironment(ENV.apiStage, stageName);

    const monitoring = new BrokerMonitoring(this, 'Monitoring', {
      api: this.api,
      functions: {
        'token-api': this.tokenApiFunction,
        'token-invoke': this.tokenInvokeFunction,
        prewarm: this.prewarmFunction,
        ...(this.rotateCanvasTokenFunction ? { 'rotate-canvas-token': this.rotateCanvasTokenFunction } : {}),
        ...(this.jwksFunction ? { jwks: this.jwksFunction } : {}),
      },
      metricsNamespace,
      credentialIds: [...this.credentialIds],
      ...(props.alarmTopic === undefined ? {} : { alarmTopic: props.alarmTopic }),
      ...(props.canvasTokenRotation
        ? {
            canvasTokenRotation: {
              rotateEvery: props.canvasTokenRotation.rotateEvery ?? ROTATION_DEFAULTS.rotateEvery,
            },
          }
        : {}),
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }

  /**
   * Lets `grantee` invoke token-invoke. This IS the authorization of the direct-invoke path:
   * Lambda passes no caller identity, so the broker sees every such call as the `lambda-invoke`
   * principal, and whoever may invoke the function gets what the `lambda-invoke` caller rules allow.
   */
  grantInvoke(grantee: IGrantable): Grant {
    // The unqualified ARN only: Function.grantInvoke also adds `<arn>:*` (every version and alias),
    // which the broker never publishes and which cdk-nag rightly flags in the grantee's policy.
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.tokenInvokeFunction.functionArn],
    });
    // A principal whose policy this app cannot edit (another account, an account principal) gets a
    // resource-based permission on the function instead.
    return grant.success ? grant : this.tokenInvokeFunction.grantInvoke(grantee);
  }

  /**
   * Lets `grantee` call, for exactly these credentials, `POST /v1/credentials/{id}/token` and
   * `POST /v1/credentials/{id}/token/invalidate`, plus `GET /v1/credentials`. The broker's caller
   * policy (`callers`) must list the principal too: IAM lets the request in, the policy decides.
   * A principal of another account must be granted these ARNs by a policy in its own account (the
   * API's resource policy already admits the allowed organization/accounts); the returned Grant
   * then reports `success: false`.
   */
  grantTokenAccess(grantee: IGrantable, credentialIds: readonly string[]): Grant {
    const ids = this.knownIds('grantTokenAccess', credentialIds);
    return this.grantRoutes(
      grantee,
      routePaths(
        API_ROUTES.filter((r) => !r.adminOnly),
        ids,
      ),
    );
  }

  /** Lets `grantee` call the admin routes of these credentials (metadata, force refresh, purge). */
  grantAdminAccess(grantee: IGrantable, credentialIds: readonly string[]): Grant {
    const ids = this.knownIds('grantAdminAccess', credentialIds);
    return this.grantRoutes(
      grantee,
      routePaths(
        API_ROUTES.filter((r) => r.adminOnly),
        ids,
      ),
    );
  }

  private knownIds(method: string, credentialIds: readonly string[]): readonly string[] {
    if (credentialIds.length === 0) throw new Error(`CredentialBroker.${method}: no credential ids given`);
    for (const id of credentialIds) {
      if (!this.credentialIds.has(id))
        throw new Error(`CredentialBroker.${method}: unknown credential "${id}"`);
    }
    return credentialIds;
  }

  private grantRoutes(grantee: IGrantable, routes: readonly (readonly [string, string])[]): Grant {
    const stage = this.api.deploymentStage.stageName;
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: routes.map(([method, path]) => this.api.arnForExecuteApi(method, path, stage)),
    });
  }

  /**
   * The grants implied by BROKER_TABLE_NAME, BROKER_ENVELOPE_KEY_ARN, BROKER_CONFIG and, with an
   * lti-advantage credential, BROKER_LTI_SIGNING_KEY_ARN. These are the minting functions, the
   * only roles that ever hold kms:Sign.
   */
  private grantBrokerRuntime(fn: LambdaFn, props: CredentialBrokerProps): void {
    const region = Stack.of(this).region;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: TABLE_ACTIONS,
        resources: [this.table.tableArn],
        conditions: {
          // Every table item of a credential lives in its partition (the adapter's own layout), so
          // LeadingKeys scopes the functions to the configured credentials' items.
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': [...this.credentialIds].map(credentialPartitionKey),
          },
        },
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [this.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.envelopeKey.keyArn],
      }),
    );
    const secrets = props.credentials.flatMap((c) => (c.secret ? [c.secret] : []));
    if (secrets.length > 0) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [...new Set(secrets.map(secretPolicyArn))],
        }),
      );
    }
    for (const secret of secrets) this.grantSecretKey(fn, secret, ['kms:Decrypt']);
    if (this.ltiSigningKey) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Sign'],
          resources: [this.ltiSigningKey.keyArn],
          conditions: LTI_SIGN_CONDITIONS,
        }),
      );
      // The kid of each assertion is derived from the public key.
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [this.ltiSigningKey.keyArn] }),
      );
    }
  }

  /** Secrets Manager decrypts (and for writes, encrypts) with the secret's own key on our behalf. */
  private grantSecretKey(fn: LambdaFn, secret: ISecret, actions: string[]): void {
    if (!secret.encryptionKey) return;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions,
        resources: [secret.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
  }
}
