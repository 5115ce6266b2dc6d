import { Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  type IModel,
  type IRequestValidator,
  type JsonSchema,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Resource,
  RestApi,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigateway';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { API_ROUTES, JWKS_ROUTE, type RequestModelName } from '../../../shared/config/api-routes.ts';
import { MAX_MIN_TTL_SECONDS, TOKEN_SHA256_PATTERN } from '../../../shared/config/limits.ts';

export interface BrokerApiProps {
  /** token-api: every route is a Lambda proxy to it. */
  readonly handler: IFunction;
  readonly allowedOrganizationId?: string;
  readonly allowedAccountIds?: readonly string[];
  readonly throttle: Required<ThrottleSettings>;
  readonly stageName: string;
  readonly accessLogRetention: RetentionDays;
  readonly webAclArn?: string;
  readonly cloudWatchRole: boolean;
  /**
   * The JWKS function, when an lti-advantage credential is configured: `GET /.well-known/jwks.json`
   * becomes the API's one unauthenticated method (Canvas fetches the tool's public keys anonymously).
   */
  readonly jwks?: { readonly handler: IFunction; readonly throttle: Required<ThrottleSettings> };
}

/** The JWKS method in a resource policy (`execute-api:/{stage}/{method}/{path}`). */
const JWKS_POLICY_RESOURCE = `execute-api:/*/${JWKS_ROUTE.method}${JWKS_ROUTE.resource}`;

// What an auditor needs (who called which route, with what outcome and how fast) and nothing a
// caller sent: no body, no headers (the Authorization header carries the SigV4 signature).
const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: AccessLogField.contextRequestId(),
  extendedRequestId: AccessLogField.contextExtendedRequestId(),
  requestTime: AccessLogField.contextRequestTimeEpoch(),
  callerArn: AccessLogField.contextIdentityUserArn(),
  callerAccountId: AccessLogField.contextIdentityAccountId(),
  sourceIp: AccessLogField.contextIdentitySourceIp(),
  userAgent: AccessLogField.contextIdentityUserAgent(),
  httpMethod: AccessLogField.contextHttpMethod(),
  resourcePath: AccessLogField.contextResourcePath(),
  path: AccessLogField.contextPath(),
  status: AccessLogField.contextStatus(),
  responseLength: AccessLogField.contextResponseLength(),
  latencyMs: AccessLogField.contextResponseLatency(),
  integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
  integrationStatus: AccessLogField.contextIntegrationStatus(),
  errorType: AccessLogField.contextErrorResponseType(),
  errorMessage: AccessLogField.contextErrorMessage(),
  xrayTraceId: AccessLogField.contextXrayTraceId(),
};

/**
 * The broker's REST API: IAM auth on every method, a resource policy admitting only the given
 * organization/accounts, JSON-schema validation of request bodies, body-free access logs, stage
 * throttling and tracing. Every IAM route is a Lambda proxy to token-api, which authorizes the
 * caller per credential (deny by default) after API Gateway has authenticated it. With an
 * lti-advantage credential, `GET /.well-known/jwks.json` is added as the one method without
 * authorization, proxied to the jwks function (public keys only).
 */
export class BrokerApi extends Construct {
  readonly restApi: RestApi;
  readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BrokerApiProps) {
    super(scope, id);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: props.accessLogRetention });

    this.restApi = new RestApi(this, 'Api', {
      restApiName: Names.uniqueResourceName(this, { maxLength: 128 }),
      description: 'canvas-credential-broker: short-lived Instructure tokens for IAM-authenticated callers',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      policy: this.resourcePolicy(props),
      cloudWatchRole: props.cloudWatchRole,
      // The role backs an account-wide setting other APIs rely on: deleting the stack must not break them.
      ...(props.cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        // Execution logs at ERROR only; INFO with data tracing would log request and response bodies.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        // Anyone on the internet can call the JWKS route: its own, much lower limit keeps it from
        // eating the stage's budget (the IAM routes') or running up the jwks function.
        ...(props.jwks
          ? {
              methodOptions: {
                [`${JWKS_ROUTE.resource}/${JWKS_ROUTE.method}`]: {
                  throttlingRateLimit: props.jwks.throttle.rateLimit,
                  throttlingBurstLimit: props.jwks.throttle.burstLimit,
                },
              },
            }
          : {}),
      },
    });

    // Request bodies are JSON objects with exactly these fields (none for EmptyRequest).
    const objectModel = (title: RequestModelName, properties?: Record<string, JsonSchema>): IModel =>
      this.restApi.addModel(title, {
        contentType: 'application/json',
        schema: {
          schema: JsonSchemaVersion.DRAFT4,
          title,
          type: JsonSchemaType.OBJECT,
          additionalProperties: false,
          ...(properties === undefined ? {} : { properties }),
        },
      });
    const models: Readonly<Record<RequestModelName, IModel>> = {
      TokenRequest: objectModel('TokenRequest', {
        minTtlSeconds: { type: JsonSchemaType.INTEGER, minimum: 0, maximum: MAX_MIN_TTL_SECONDS },
        params: { type: JsonSchemaType.OBJECT },
      }),
      // Proof of possession: the full SHA-256 of the rejected token, never its public fingerprint.
      // Not `required` here, and `fingerprint` still listed: an old client's fingerprint-only body
      // then reaches the handler, whose 400 explains what to send instead of the gateway's
      // generic "Invalid request body".
      InvalidateRequest: objectModel('InvalidateRequest', {
        tokenSha256: { type: JsonSchemaType.STRING, pattern: TOKEN_SHA256_PATTERN.source },
        fingerprint: { type: JsonSchemaType.STRING, maxLength: 128 },
        // Names the variant whose token was rejected (the same params the token was asked with).
        params: { type: JsonSchemaType.OBJECT },
      }),
      EmptyRequest: objectModel('EmptyRequest'),
    };
    const bodyAndParams = this.restApi.addRequestValidator('BodyAndParams', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const paramsOnly = this.restApi.addRequestValidator('ParamsOnly', {
      validateRequestBody: false,
      validateRequestParameters: true,
    });

    // One integration for all routes; permissions are scoped per method (the default).
    const integration = new LambdaIntegration(props.handler, { proxy: true, allowTestInvoke: false });
    const add = (resource: Resource, method: string, validator: IRequestValidator, model?: IModel): void => {
      const withId = resource.path.includes('{id}');
      resource.addMethod(method, integration, {
        authorizationType: AuthorizationType.IAM,
        requestValidator: validator,
        ...(withId ? { requestParameters: { 'method.request.path.id': true } } : {}),
        ...(model ? { requestModels: { 'application/json': model } } : {}),
      });
    };

    // Every route of the one route table, on a resource tree built from its templates.
    const resources = new Map<string, Resource>();
    const resourceAt = (template: string): Resource => {
      const found = resources.get(template);
      if (found) return found;
      const cut = template.lastIndexOf('/');
      const parent = cut === 0 ? this.restApi.root : resourceAt(template.slice(0, cut));
      const made = parent.addResource(template.slice(cut + 1));
      resources.set(template, made);
      return made;
    };
    for (const route of API_ROUTES) {
      const model = route.model === undefined ? undefined : models[route.model];
      add(resourceAt(route.resource), route.method, model ? bodyAndParams : paramsOnly, model);
    }

    if (props.jwks) {
      // Read-only public keys, nothing else: no body, no parameters, and a function whose role can
      // only read public keys (kms:GetPublicKey). The resource policy lets anonymous callers reach
      // exactly this method (see resourcePolicy).
      const method = resourceAt(JWKS_ROUTE.resource).addMethod(
        JWKS_ROUTE.method,
        new LambdaIntegration(props.jwks.handler, { proxy: true, allowTestInvoke: false }),
        { authorizationType: AuthorizationType.NONE },
      );
      Validations.of(method).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason:
          "GET /.well-known/jwks.json is the LTI tool's public JWKS, which Canvas fetches without credentials (LTI 1.3 / OAuth2 client-credentials with a signed JWT). It serves public keys only, takes no input, has its own low throttle, and its function can call nothing but kms:GetPublicKey.",
      });
    }

    const everyMethod = props.jwks
      ? 'Every method but the public-key JWKS route requires SigV4 (AWS_IAM)'
      : 'Every method requires SigV4 (AWS_IAM)';
    if (props.webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.restApi.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      Validations.of(this.restApi.deploymentStage).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG3',
        reason: `No webAclArn was given. ${everyMethod} and the resource policy admits only the configured organization/accounts, so unauthenticated traffic is rejected before any integration runs; pass webAclArn to add a WAF.`,
      });
    }

    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG4',
      reason: `Callers are AWS workloads (services and Lambdas) authenticated with SigV4. ${everyMethod}, which the broker then matches against its per-credential caller policy. There are no end users, so no Cognito user pool.`,
    });
    if (props.cloudWatchRole) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's regional account setting needs a CloudWatch Logs role for access and execution logs; AmazonAPIGatewayPushToCloudWatchLogs is the service's documented policy for that role and grants nothing on the broker's data.",
      });
    }
  }

  /**
   * Admits principals of the allowed organization or accounts and explicitly denies every other
   * principal, so even a same-account identity policy cannot open the API to outsiders.
   */
  private resourcePolicy(props: BrokerApiProps): PolicyDocument {
    const conditions: Record<string, string | string[]>[] = [];
    if (props.allowedOrganizationId !== undefined) {
      conditions.push({ 'aws:PrincipalOrgID': props.allowedOrganizationId });
    }
    if (props.allowedAccountIds !== undefined && props.allowedAccountIds.length > 0) {
      conditions.push({ 'aws:PrincipalAccount': [...props.allowedAccountIds] });
    }
    if (conditions.length === 0) {
      throw new Error('CredentialBroker: allowedOrganizationId or allowedAccountIds is required');
    }
    const invoke = {
      actions: ['execute-api:Invoke'],
      resources: ['execute-api:/*'],
      principals: [new AnyPrincipal()],
    };
    // An anonymous request has no aws:PrincipalOrgID or aws:PrincipalAccount, so the deny below
    // (StringNotEquals is true for a missing key) would refuse it: the JWKS method alone is left
    // out of the deny and admitted for everyone.
    const denied = props.jwks
      ? { actions: invoke.actions, notResources: [JWKS_POLICY_RESOURCE], principals: invoke.principals }
      : invoke;
    return new PolicyDocument({
      statements: [
        ...conditions.map(
          (condition) =>
            new PolicyStatement({ ...invoke, effect: Effect.ALLOW, conditions: { StringEquals: condition } }),
        ),
        ...(props.jwks
          ? [new PolicyStatement({ ...invoke, resources: [JWKS_POLICY_RESOURCE], effect: Effect.ALLOW })]
          : []),
        // Conditions under one operator are ANDed: denied when outside the org AND outside the accounts.
        new PolicyStatement({
          ...denied,
          effect: Effect.DENY,
          conditions: { StringNotEquals: Object.assign({}, ...conditions) },
        }),
      ],
    });
  }
}
