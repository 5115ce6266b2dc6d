import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CredentialBroker } from '@canvas-credential-broker/cdk';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleBrokerProps } from '../../../infra/sample-config.ts';
import { LAMBDA_NODE_MAJOR } from '../../../packages/cdk/src/bundle-lambda.ts';
import { cdkAppContext } from './cdk-app-context.ts';

// One synthesis for the whole file: bundling really runs esbuild for every function.
let outdir: string;
let stack: Stack;
let broker: CredentialBroker;
let template: Template;
let synthError: unknown;

const KEYED_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:canvas-broker/keyed-AbCdEf';
const SECRET_KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:111111111111:broker-alarms';

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'broker-infra-'));
  const app = new App({ outdir, context: cdkAppContext() });
  stack = new Stack(app, 'BrokerUnderTest');
  const sample = sampleBrokerProps(stack);
  const keyedSecret = Secret.fromSecretAttributes(stack, 'KeyedSecret', {
    secretCompleteArn: KEYED_SECRET_ARN,
    encryptionKey: Key.fromKeyArn(stack, 'KeyedSecretKey', SECRET_KEY_ARN),
  });
  broker = new CredentialBroker(stack, 'Broker', {
    ...sample,
    credentials: [
      ...sample.credentials,
      {
        id: 'keyed',
        kind: 'identity-service',
        secret: keyedSecret,
        baseUrl: 'https://api-gateway.instructure.com',
      },
    ],
    alarmTopic: Topic.fromTopicArn(stack, 'AlarmTopic', TOPIC_ARN),
  });
  const caller = new Role(stack, 'Caller', { assumedBy: new AccountRootPrincipal() });
  broker.grantTokenAccess(caller, ['dap', 'keyed']);
  const invoker = new Role(stack, 'Invoker', { assumedBy: new AccountRootPrincipal() });
  broker.grantInvoke(invoker);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    template = Template.fromStack(stack);
  } catch (error) {
    // A failed cdk-nag validation still writes the template: keep asserting on it, and let the
    // nag test report the failure.
    synthError = error;
    template = Template.fromJSON(
      JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.template.json`), 'utf8')),
    );
  }
  // Four real esbuild bundles on a 2-core machine: allow more than the default hook timeout.
}, 180_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON; the expectations are the type checks.
type CfnObject = Record<string, any>;
type Resources = Record<string, { Properties: CfnObject; DeletionPolicy?: string }>;
const resources = (type: string): Resources => template.findResources(type) as Resources;
const only = (type: string): { Properties: CfnObject; DeletionPolicy?: string } => {
  const found = Object.values(resources(type));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
/** Literal text of a string or an Fn::Join, with intrinsics shown as `<ref>`. */
const text = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => (typeof part === 'string' ? part : '<ref>')).join(join[0]);
  return '<ref>';
};
const functionLogicalId = (prefix: string): string => {
  const id = Object.keys(resources('AWS::Lambda::Function')).find((k) => k.startsWith(prefix));
  expect(id, `function ${prefix}`).toBeDefined();
  return id!;
};
const policyStatements = (): { policy: string; statement: CfnObject }[] =>
  Object.entries(resources('AWS::IAM::Policy')).flatMap(([policy, r]) =>
    asList(r.Properties.PolicyDocument.Statement).map((statement: CfnObject) => ({
      policy,
      statement,
    })),
  );

interface BundleFile {
  /** Relative to the asset directory. */
  readonly path: string;
  readonly bytes: number;
  readonly code: string;
  /** index.mjs or a chunk reachable from it by static imports: evaluated at cold start. */
  readonly atInit: boolean;
}
const assetDirOf = (fn: CfnObject): string =>
  join(outdir, `asset.${String(fn.Code.S3Key).replace(/\.zip$/, '')}`);
/** Every JavaScript file of a function's asset, each marked with whether a cold start loads it. */
const bundleOf = (fn: CfnObject): { dir: string; files: BundleFile[] } => {
  const dir = assetDirOf(fn);
  const paths = ['index.mjs', ...readdirSync(join(dir, 'chunks')).map((f) => `chunks/${f}`)].filter((p) =>
    p.endsWith('.mjs'),
  );
  const code = new Map(paths.map((p) => [p, readFileSync(join(dir, p), 'utf8')]));
  const atInit = new Set<string>();
  const visit = (path: string): void => {
    if (atInit.has(path)) return;
    atInit.add(path);
    // Static imports only (`import ... from"../../infra/x.mjs"` or a bare `import"../../infra/x.mjs"`); import() is lazy.
    for (const [, spec] of code.get(path)!.matchAll(/(?:\bfrom|\bimport)\s*["'](\.\/[^"']+)["']/g)) {
      visit(join(dirname(path), spec!));
    }
  };
  visit('index.mjs');
  return {
    dir,
    files: paths.map((p) => ({
      path: p,
      bytes: statSync(join(dir, p)).size,
      code: code.get(p)!,
      atInit: atInit.has(p),
    })),
  };
};

/** Route paths from the RestApi's resource tree, e.g. `POST /v1/credentials/{id}/token`. */
const routes = (): { route: string; method: CfnObject }[] => {
  const apiResources = resources('AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    if (id === undefined) return '';
    const r = apiResources[id]!;
    return `${pathOf(r.Properties.ParentId)}/${r.Properties.PathPart}`;
  };
  return Object.values(resources('AWS::ApiGateway::Method')).map((m) => ({
    route: `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`,
    method: m.Properties,
  }));
};

describe('the synthesized broker stack', () => {
  it('passes cdk-nag AwsSolutions with no unacknowledged error or warning', () => {
    expect(synthError).toBeUndefined();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations?: { ruleName: string; severity: string }[];
        suppressedViolations?: { ruleName: string; reason: string; acknowledgedId: string }[];
      }[];
    };
    const nag = report.pluginReports.filter((r) => r.pluginName === 'AwsSolutions');
    expect(nag.flatMap((r) => r.violations ?? [])).toEqual([]);
    const acknowledged = nag.flatMap((r) => r.suppressedViolations ?? []);
    // Each acknowledgement names its exact rule (and finding) and says why it is safe here.
    for (const a of acknowledged) {
      expect(a.acknowledgedId).toBe(`AwsSolutions::${a.ruleName}`);
      expect(a.reason.length).toBeGreaterThan(60);
    }
    expect([...new Set(acknowledged.map((a) => a.ruleName))].sort()).toEqual([
      'AwsSolutions-APIG3',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
    ]);
  });

  it('requires AWS_IAM authorization on every method of the six routes', () => {
    const all = routes();
    expect(all.map((r) => r.route).sort()).toEqual([
      'DELETE /v1/credentials/{id}/token',
      'GET /v1/credentials',
      'GET /v1/credentials/{id}',
      'POST /v1/credentials/{id}/refresh',
      'POST /v1/credentials/{id}/token',
      'POST /v1/credentials/{id}/token/invalidate',
    ]);
    for (const { route, method } of all) {
      expect(method.AuthorizationType, route).toBe('AWS_IAM');
      expect(method.Integration.Type, route).toBe('AWS_PROXY');
      expect(text(method.Integration.Uri), route).toContain('/functions/<ref>/invocations');
    }
  });

  it('admits only the allowed organization or accounts through the resource policy', () => {
    const api = only('AWS::ApiGateway::RestApi');
    expect(api.Properties.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    const statements = api.Properties.Policy.Statement as CfnObject[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Condition: { StringEquals: { 'aws:PrincipalAccount': ['111111111111'] } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: {
          StringNotEquals: {
            'aws:PrincipalOrgID': 'o-exampleorg1',
            'aws:PrincipalAccount': ['111111111111'],
          },
        },
      }),
    );
  });

  it('validates POST bodies against JSON-schema models', () => {
    const validators = resources('AWS::ApiGateway::RequestValidator');
    const models = resources('AWS::ApiGateway::Model');
    const schemaOf = (ref: { Ref: string }) => models[ref.Ref]!.Properties.Schema;
    for (const { route, method } of routes().filter((r) => r.route.startsWith('POST'))) {
      const validator = validators[method.RequestValidatorId.Ref]!.Properties;
      expect(validator.ValidateRequestBody, route).toBe(true);
      expect(schemaOf(method.RequestModels['application/json']).additionalProperties, route).toBe(false);
    }
    const byRoute = Object.fromEntries(routes().map((r) => [r.route, r.method]));
    const token = schemaOf(byRoute['POST /v1/credentials/{id}/token']!.RequestModels['application/json']);
    expect(token.properties).toEqual({
      minTtlSeconds: { type: 'integer', minimum: 0, maximum: 86400 },
      params: { type: 'object' },
    });
    const invalidate = schemaOf(
      byRoute['POST /v1/credentials/{id}/token/invalidate']!.RequestModels['application/json'],
    );
    expect(invalidate.properties.tokenSha256).toEqual({ type: 'string', pattern: '^[0-9a-f]{64}$' });
    expect(invalidate.additionalProperties).toBe(false);
  });

  it('logs access without bodies or headers, throttles and traces the stage', () => {
    const stage = only('AWS::ApiGateway::Stage').Properties;
    const format = stage.AccessLogSetting.Format as string;
    for (const field of [
      '$context.requestId',
      '$context.identity.userArn',
      '$context.resourcePath',
      '$context.status',
      '$context.responseLatency',
    ]) {
      expect(format).toContain(field);
    }
    expect(format).not.toMatch(/\$input|requestOverride|header|authorize\.|body/i);
    expect(JSON.parse(format)).toBeTypeOf('object');
    expect(stage.TracingEnabled).toBe(true);
    expect(stage.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 100,
        ThrottlingBurstLimit: 200,
        DataTraceEnabled: false,
        LoggingLevel: 'ERROR',
      }),
    ]);
  });

  it('keeps tokens in an on-demand, KMS-encrypted table with PITR, TTL and deletion protection', () => {
    const table = only('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
    const keys = resources('AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(2);
    for (const key of Object.values(keys)) expect(key.Properties.EnableKeyRotation).toBe(true);
    const tableKey = table.Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0];
    expect(keys[tableKey]).toBeDefined();
  });

  it('grants no secretsmanager, dynamodb or kms action on a * resource', () => {
    const statements = policyStatements();
    expect(statements.length).toBeGreaterThan(10);
    for (const { policy, statement } of statements) {
      const actions = asList(statement.Action as string | string[]);
      expect(actions, policy).not.toContain('*');
      const sensitive = actions.filter((a) => /^(secretsmanager|dynamodb|kms):/.test(a));
      if (sensitive.length === 0) continue;
      for (const resource of asList(statement.Resource)) {
        expect(typeof resource === 'string' && resource.includes('*'), `${policy} ${sensitive}`).toBe(false);
      }
    }
  });

  it('scopes each broker function to the table partitions, the envelope key and the exact secrets', () => {
    for (const prefix of ['BrokerTokenApi', 'BrokerTokenInvoke', 'BrokerPrewarm']) {
      const statements = policyStatements()
        .filter((s) => s.policy.startsWith(prefix))
        .map((s) => s.statement);
      const table = statements.find((s) => asList(s.Action).includes('dynamodb:GetItem'))!;
      expect(table.Condition).toEqual({
        'ForAllValues:StringEquals': {
          'dynamodb:LeadingKeys': ['CRED#dap', 'CRED#canvas-services', 'CRED#inst-access', 'CRED#keyed'],
        },
      });
      const secrets = statements.find((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'))!;
      expect(asList(secrets.Resource).sort()).toEqual(
        [
          'arn:aws:secretsmanager:us-east-1:111111111111:secret:canvas-broker/canvas-access-token-EXAMPL',
          'arn:aws:secretsmanager:us-east-1:111111111111:secret:canvas-broker/dap-client-EXAMPL',
          KEYED_SECRET_ARN,
        ].sort(),
      );
      const secretKey = statements.find((s) => s.Resource === SECRET_KEY_ARN)!;
      expect(secretKey.Action).toBe('kms:Decrypt');
      expect(text(secretKey.Condition.StringEquals['kms:ViaService'])).toBe(
        'secretsmanager.<ref>.amazonaws.com',
      );
      const envelope = statements.find(
        (s) => s.Resource?.['Fn::GetAtt']?.[0]?.startsWith('BrokerEnvelopeKey') === true,
      )!;
      expect(asList(envelope.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    }
  });

  it('limits the rotation function to its one secret and its own log group', () => {
    const statements = policyStatements()
      .filter((s) => s.policy.startsWith('BrokerRotateCanvasToken'))
      .map((s) => s.statement);
    const secretStatements = statements.filter((s) =>
      asList(s.Action).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect(asList(secretStatements[0]!.Action).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    expect(secretStatements[0]!.Resource).toBe(
      'arn:aws:secretsmanager:us-east-1:111111111111:secret:canvas-broker/canvas-access-token-EXAMPL',
    );
    const schedule = only('AWS::SecretsManager::RotationSchedule').Properties;
    expect(schedule.RotationLambdaARN['Fn::GetAtt'][0]).toBe(functionLogicalId('BrokerRotateCanvasToken'));
    expect(schedule.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
  });

  it('runs every function on Node 24, ARM64, traced, with explicit memory, timeout and log group', () => {
    const expected: Record<string, { memory: number; timeout: number }> = {
      BrokerTokenApi: { memory: 512, timeout: 25 },
      BrokerTokenInvoke: { memory: 512, timeout: 30 },
      BrokerPrewarm: { memory: 512, timeout: 55 },
      BrokerRotateCanvasToken: { memory: 256, timeout: 60 },
    };
    const functions = resources('AWS::Lambda::Function');
    const logGroups = resources('AWS::Logs::LogGroup');
    expect(Object.keys(functions)).toHaveLength(4);
    for (const [prefix, { memory, timeout }] of Object.entries(expected)) {
      const fn = functions[functionLogicalId(prefix)]!.Properties;
      expect(fn.Runtime, prefix).toBe('nodejs24.x');
      expect(fn.Architectures, prefix).toEqual(['arm64']);
      expect(fn.MemorySize, prefix).toBe(memory);
      expect(fn.Timeout, prefix).toBe(timeout);
      expect(fn.TracingConfig, prefix).toEqual({ Mode: 'Active' });
      expect(fn.Handler, prefix).toBe('index.handler');
      expect(logGroups[fn.LoggingConfig.LogGroup.Ref]!.Properties.RetentionInDays, prefix).toBe(30);
    }
    expect(expected.BrokerTokenApi!.timeout).toBeLessThan(29);
    for (const role of Object.values(resources('AWS::IAM::Role'))) {
      if (
        role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com'
      ) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('hands each broker function its table, envelope key, validated config and Powertools names', () => {
    const fn = resources('AWS::Lambda::Function')[functionLogicalId('BrokerTokenApi')]!.Properties;
    const env = fn.Environment.Variables as CfnObject;
    expect(env.BROKER_TABLE_NAME.Ref).toMatch(/^BrokerTable/);
    expect(env.BROKER_ENVELOPE_KEY_ARN['Fn::GetAtt'][0]).toMatch(/^BrokerEnvelopeKey/);
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('canvas-credential-broker');
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('CanvasCredentialBroker');
    expect(env.POWERTOOLS_LOG_LEVEL).toBe('INFO');
    const config = JSON.parse(env.BROKER_CONFIG);
    expect(config.credentials.map((c: { secretId: string }) => c.secretId)).toContain(KEYED_SECRET_ARN);
    expect(config).toEqual(broker.config);
  });

  it('pre-warms on an EventBridge schedule every minute', () => {
    const rule = only('AWS::Events::Rule').Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn['Fn::GetAtt'][0]).toBe(functionLogicalId('BrokerPrewarm'));
  });

  it('alarms on refresh failures, API 5XX and function errors and throttles, to the topic', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const refresh = alarms.find((a) =>
      a.Metrics?.some((m: { Expression?: string }) => m.Expression?.includes('RefreshFailure')),
    );
    expect(refresh?.Metrics[0].Expression).toBe('SELECT SUM(RefreshFailure) FROM "CanvasCredentialBroker"');
    expect(alarms.some((a) => a.MetricName === '5XXError' && a.Namespace === 'AWS/ApiGateway')).toBe(true);
    expect(alarms.filter((a) => a.MetricName === 'Errors' && a.Namespace === 'AWS/Lambda')).toHaveLength(4);
    expect(alarms.filter((a) => a.MetricName === 'Throttles' && a.Namespace === 'AWS/Lambda')).toHaveLength(
      4,
    );
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([TOPIC_ARN]);
  });

  it('alarms when a rotated Canvas token will not outlast the next rotation, or a token is left behind', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const byExpression = (needle: string) =>
      alarms.find((a) => a.Metrics?.some((m: { Expression?: string }) => m.Expression?.includes(needle)));
    const life = byExpression('CanvasTokenRemainingLife');
    expect(life?.Metrics[0].Expression).toBe(
      'SELECT MIN(CanvasTokenRemainingLife) FROM "CanvasCredentialBroker"',
    );
    expect(life?.ComparisonOperator).toBe('LessThanThreshold');
    expect(life?.Threshold).toBe((30 + 3) * 86_400);
    expect(byExpression('CanvasTokenLeftBehind')?.Threshold).toBe(1);
    const fn = resources('AWS::Lambda::Function')[functionLogicalId('BrokerRotateCanvasToken')]!.Properties;
    expect(fn.Environment.Variables.BROKER_ROTATION_ROTATE_EVERY_DAYS).toBe('30');
  });

  it('alarms once per configured credential when it turns unhealthy, over a 15-minute maximum', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const unhealthy = alarms.filter((a) =>
      a.Metrics?.some((m: { Expression?: string }) => m.Expression?.includes('CredentialUnhealthy')),
    );
    expect(unhealthy.map((a) => a.Metrics[0].Expression).sort()).toEqual(
      ['canvas-services', 'dap', 'inst-access', 'keyed'].map(
        (id) => `SELECT MAX(CredentialUnhealthy) FROM "CanvasCredentialBroker" WHERE credentialId = '${id}'`,
      ),
    );
    for (const alarm of unhealthy) {
      expect(alarm.Metrics[0].Period).toBe(900);
      expect(alarm).toMatchObject({
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [TOPIC_ARN],
        OKActions: [TOPIC_ARN],
      });
    }
  });

  it('puts the broker metrics, API errors and latency on a dashboard', () => {
    const body = text(only('AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const metric of ['Mint', 'TierHit', 'TokenAgeAtServe', 'RefreshFailure', 'Unavailable']) {
      expect(body).toContain(`MetricName=\\"${metric}\\"`);
    }
    for (const metric of ['4XXError', '5XXError', 'Latency']) expect(body).toContain(`"${metric}"`);
  });

  it('grants token access on exactly the token and invalidate routes of the given credentials', () => {
    const statement = policyStatements().find((s) => s.policy.startsWith('Caller'))!.statement;
    expect(statement.Action).toBe('execute-api:Invoke');
    // arn:<partition>:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>
    const arns = asList(statement.Resource).map((r) =>
      text(r).replace(/^arn:<ref>:execute-api:<ref>:<ref>:<ref>\/<ref>\//, ''),
    );
    expect(arns.sort()).toEqual([
      'GET/v1/credentials',
      'POST/v1/credentials/dap/token',
      'POST/v1/credentials/dap/token/invalidate',
      'POST/v1/credentials/keyed/token',
      'POST/v1/credentials/keyed/token/invalidate',
    ]);
    expect(() =>
      broker.grantTokenAccess(new Role(stack, 'Late', { assumedBy: new AccountRootPrincipal() }), ['nope']),
    ).toThrow(/unknown credential "nope"/);
  });

  it('makes grantInvoke the authorization of the direct-invoke path', () => {
    const statement = policyStatements().find((s) => s.policy.startsWith('Invoker'))!.statement;
    expect(statement.Action).toBe('lambda:InvokeFunction');
    const targets = asList(statement.Resource).map((r) => JSON.stringify(r));
    expect(targets.every((t) => t.includes(functionLogicalId('BrokerTokenInvoke')))).toBe(true);
  });

  it('gives every function its own bundle asset: index.mjs, its source map and chunks/, nothing else', () => {
    const functions = Object.values(resources('AWS::Lambda::Function'));
    const dirs = functions.map((fn) => assetDirOf(fn.Properties));
    expect(new Set(dirs).size).toBe(functions.length);
    for (const dir of dirs) {
      expect(readdirSync(dir).sort()).toEqual(['chunks', 'index.mjs', 'index.mjs.map']);
      for (const file of readdirSync(join(dir, 'chunks'))) expect(file).toMatch(/\.mjs(?:\.map)?$/);
    }
  });

  it('bundles token-api for its runtime with esbuild: ESM index.mjs exporting the handler, AWS SDK inside', () => {
    const fn = resources('AWS::Lambda::Function')[functionLogicalId('BrokerTokenApi')]!.Properties;
    expect(fn.Handler).toBe('index.handler');
    expect(fn.Runtime).toBe(`nodejs${LAMBDA_NODE_MAJOR}.x`);
    const { dir, files } = bundleOf(fn);
    const entry = files.find((f) => f.path === 'index.mjs')!;
    const init = files.filter((f) => f.atInit);
    const sum = (list: readonly BundleFile[]) => list.reduce((n, f) => n + f.bytes, 0);
    console.log(
      `token-api bundle: index.mjs ${entry.bytes} bytes, at init ${sum(init)} (${init.length} files), total ${sum(files)} (${files.length} files)`,
    );
    expect(entry.bytes).toBeLessThan(1024 * 1024);
    expect(statSync(join(dir, 'index.mjs.map')).isFile()).toBe(true);
    expect(entry.code).toMatch(
      /^import\{createRequire as __brokerCreateRequire\}|^import \{ createRequire as __brokerCreateRequire/,
    );
    expect(entry.code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
    // Bundled, not external: no import of @aws-sdk/* is left, and the clients' operations are inside.
    for (const file of files) {
      expect(file.code, file.path).not.toMatch(/\bfrom\s*["']@aws-sdk\//);
      expect(file.code, file.path).not.toMatch(/\bimport\s*\(\s*["']@aws-sdk\//);
    }
    expect(files.some((f) => f.code.includes('GetSecretValue'))).toBe(true);
  });

  it('splits the clients needed only to decrypt or refresh a token into lazy chunks of token-api', () => {
    const fn = resources('AWS::Lambda::Function')[functionLogicalId('BrokerTokenApi')]!.Properties;
    const { files } = bundleOf(fn);
    const lazy = files.filter((f) => !f.atInit);
    expect(lazy.length).toBeGreaterThan(0);
    const initCode = files.filter((f) => f.atInit).map((f) => f.code);
    // KMS, Secrets Manager and the Instructure HTTP clients: each operation lives in a lazy chunk only.
    for (const marker of ['GenerateDataKey', 'GetSecretValue', '/ids/auth/login', '/api/v1/jwts']) {
      expect(
        initCode.some((code) => code.includes(marker)),
        marker,
      ).toBe(false);
      expect(
        lazy.some((f) => f.code.includes(marker)),
        marker,
      ).toBe(true);
    }
    // The table client is needed by every request: it loads at init.
    expect(initCode.some((code) => code.includes('GetItem'))).toBe(true);
  });
});

/**
 * cdk-nag style, one rule: invoking token-api directly is admin-equivalent (the event carries the
 * caller identity), so nothing in the stack may grant lambda:InvokeFunction on it except API
 * Gateway, for this API only.
 */
describe('who may invoke token-api', () => {
  const mentions = (value: unknown, logicalId: string): boolean =>
    JSON.stringify(value).includes(`"${logicalId}"`);
  const invokes = (action: unknown): boolean =>
    asList(action as string | string[]).some(
      (a) => a === '*' || a === 'lambda:*' || a === 'lambda:InvokeFunction' || a === 'lambda:Invoke*',
    );

  it('grants no IAM principal lambda:InvokeFunction on token-api', () => {
    const tokenApi = functionLogicalId('BrokerTokenApi');
    const offending = policyStatements().filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && invokes(statement.Action) && mentions(statement.Resource, tokenApi),
    );
    const inline = Object.entries(resources('AWS::IAM::Role')).flatMap(([role, r]) =>
      asList(r.Properties.Policies ?? []).flatMap((p: CfnObject) =>
        asList(p.PolicyDocument.Statement)
          .filter((st: CfnObject) => invokes(st.Action) && mentions(st.Resource, tokenApi))
          .map(() => role),
      ),
    );
    expect(offending.map((o) => o.policy)).toEqual([]);
    expect(inline).toEqual([]);
  });

  it('lets only apigateway.amazonaws.com invoke it, with this API as the source ARN', () => {
    const tokenApi = functionLogicalId('BrokerTokenApi');
    const apiId = Object.keys(resources('AWS::ApiGateway::RestApi'))[0]!;
    const permissions = Object.values(resources('AWS::Lambda::Permission')).filter((p) =>
      mentions(p.Properties.FunctionName, tokenApi),
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const { Properties: permission } of permissions) {
      expect(permission.Action).toBe('lambda:InvokeFunction');
      expect(permission.Principal).toBe('apigateway.amazonaws.com');
      expect(mentions(permission.SourceArn, apiId)).toBe(true);
    }
  });

  it("binds token-api to this API's id and stage through its environment", () => {
    const fn = resources('AWS::Lambda::Function')[functionLogicalId('BrokerTokenApi')]!.Properties;
    const apiId = Object.keys(resources('AWS::ApiGateway::RestApi'))[0]!;
    expect(fn.Environment.Variables.BROKER_API_ID).toEqual({ Ref: apiId });
    expect(fn.Environment.Variables.BROKER_API_STAGE).toBe(
      only('AWS::ApiGateway::Stage').Properties.StageName,
    );
    for (const prefix of ['BrokerTokenInvoke', 'BrokerPrewarm']) {
      const other = resources('AWS::Lambda::Function')[functionLogicalId(prefix)]!.Properties;
      expect(other.Environment.Variables.BROKER_API_ID).toBeUndefined();
    }
  });
});
