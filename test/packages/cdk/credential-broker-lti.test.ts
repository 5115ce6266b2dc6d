import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialBroker, type CredentialBrokerProps } from '@canvas-credential-broker/cdk';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkAppContext } from './cdk-app-context.ts';

// Template assertions only: the stacks skip asset bundling (credential-broker.test.ts bundles).
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const OLD_KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/0ld00000-1111-2222-3333-444444444444';
const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
const AGS = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
const MINTING = ['BrokerTokenApi', 'BrokerTokenInvoke', 'BrokerPrewarm'];

const baseProps = (stack: Stack): CredentialBrokerProps => ({
  credentials: [
    {
      id: 'dap',
      kind: 'identity-service',
      secret: Secret.fromSecretCompleteArn(
        stack,
        'Dap',
        'arn:aws:secretsmanager:us-east-1:111111111111:secret:dap-AbCdEf',
      ),
      baseUrl: 'https://api-gateway.instructure.com',
    },
  ],
  callers: [{ principals: ['arn:aws:iam::222222222222:role/reader'], credentials: ['dap'] }],
  allowedAccountIds: ['222222222222'],
});

const withLti = (stack: Stack): CredentialBrokerProps => {
  const base = baseProps(stack);
  return {
    ...base,
    credentials: [
      ...base.credentials,
      {
        id: 'lti',
        kind: 'lti-advantage',
        baseUrl: 'https://example.instructure.com',
        lti: { clientId: '10000000000042', scopes: [NRPS, AGS] },
      },
    ],
    callers: [
      ...base.callers,
      { principals: ['arn:aws:iam::222222222222:role/lti-tool'], credentials: ['lti'] },
    ],
    ltiPreviousSigningKeys: [Key.fromKeyArn(stack, 'OldLtiKey', OLD_KEY_ARN)],
    jwksMaxAge: Duration.minutes(10),
  };
};

const synth = (props: (stack: Stack) => CredentialBrokerProps, granted: readonly string[]) => {
  const outdir = mkdtempSync(join(tmpdir(), 'broker-lti-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkAppContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Lti');
  const broker = new CredentialBroker(stack, 'Broker', props(stack));
  broker.grantTokenAccess(new Role(stack, 'Caller', { assumedBy: new AccountRootPrincipal() }), granted);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      violations?: unknown[];
      suppressedViolations?: { ruleName: string; reason: string; violatingResources?: unknown[] }[];
    }[];
  };
  return { broker, stack, template: Template.fromStack(stack), report };
};

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON; the expectations are the type checks.
type CfnObject = Record<string, any>;
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const policyStatements = (template: Template): { policy: string; statement: CfnObject }[] =>
  Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([policy, r]) =>
    asList((r as CfnObject).Properties.PolicyDocument.Statement).map((statement: CfnObject) => ({
      policy,
      statement,
    })),
  );
const actionsOf = (statement: CfnObject): string[] => asList(statement.Action as string | string[]);
const refOf = (value: unknown): string | undefined =>
  (value as { 'Fn::GetAtt'?: [string] })?.['Fn::GetAtt']?.[0] ?? (value as { Ref?: string })?.Ref;

describe('a CredentialBroker with an lti-advantage credential', () => {
  const { broker, stack, template, report } = synth(withLti, ['lti']);
  const signingKeyId = Object.entries(template.findResources('AWS::KMS::Key')).find(
    ([, r]) => (r as CfnObject).Properties.KeySpec === 'RSA_2048',
  )?.[0];

  it('passes cdk-nag, acknowledging only that the JWKS method has no authorization', () => {
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    const apig4 = report.pluginReports
      .flatMap((r) => r.suppressedViolations ?? [])
      .filter((s) => s.ruleName === 'AwsSolutions-APIG4');
    expect(apig4).toHaveLength(1);
    expect(apig4[0]!.reason).toContain('/.well-known/jwks.json');
  });

  it('creates an RSA 2048 SIGN_VERIFY key that outlives the stack', () => {
    expect(signingKeyId).toBeDefined();
    const key = template.findResources('AWS::KMS::Key')[signingKeyId!] as CfnObject;
    expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
    expect(key.DeletionPolicy).toBe('Retain');
    expect(broker.ltiSigningKey).toBeDefined();
  });

  it('grants kms:Sign only to the minting functions, on the signing key, for RS256 digests only', () => {
    const signing = policyStatements(template).filter(({ statement }) =>
      actionsOf(statement).some((a) => a === 'kms:Sign' || a === 'kms:*' || a === 'kms:Sign*'),
    );
    expect(signing.map((s) => MINTING.find((m) => s.policy.startsWith(m))).sort()).toEqual(
      [...MINTING].sort(),
    );
    for (const { statement } of signing) {
      expect(actionsOf(statement)).toEqual(['kms:Sign']);
      expect(refOf(statement.Resource)).toBe(signingKeyId);
      expect(statement.Condition).toEqual({
        StringEquals: { 'kms:SigningAlgorithm': 'RSASSA_PKCS1_V1_5_SHA_256', 'kms:MessageType': 'DIGEST' },
      });
    }
  });

  it('hands the minting functions the signing key ARN and no secret for the lti credential', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const prefix of MINTING) {
      const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(prefix))! as [string, CfnObject];
      const env = fn.Properties.Environment.Variables;
      expect(refOf(env.BROKER_LTI_SIGNING_KEY_ARN), prefix).toBe(signingKeyId);
      const config = JSON.parse(env.BROKER_CONFIG);
      expect(config.credentials.find((c: CfnObject) => c.id === 'lti')).not.toHaveProperty('secretId');
    }
  });

  it('lets the jwks function read public keys, current and previous, and nothing else', () => {
    const jwks = policyStatements(template).filter((s) => s.policy.startsWith('BrokerJwks'));
    const kms = jwks.filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    expect(actionsOf(kms[0]!.statement)).toEqual(['kms:GetPublicKey']);
    const keys = asList(kms[0]!.statement.Resource).map((r) => (typeof r === 'string' ? r : refOf(r)));
    expect(keys.sort()).toEqual([signingKeyId, OLD_KEY_ARN].sort());
    // Logs of its own log group and X-Ray, as every function; no table, no secret, no other key.
    for (const { statement } of jwks) {
      for (const action of actionsOf(statement)) {
        expect(action).toMatch(/^(logs:|xray:|kms:GetPublicKey$)/);
      }
    }
  });

  it('gives the jwks function key ARNs, the max-age and Powertools names: no config, table or secret', () => {
    const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('BrokerJwks'),
    )! as [string, CfnObject];
    const env = fn.Properties.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual([
      'BROKER_JWKS_MAX_AGE_SECONDS',
      'BROKER_LTI_PREVIOUS_SIGNING_KEY_ARNS',
      'BROKER_LTI_SIGNING_KEY_ARN',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ]);
    expect(env.BROKER_JWKS_MAX_AGE_SECONDS).toBe('600');
    expect(env.BROKER_LTI_PREVIOUS_SIGNING_KEY_ARNS).toBe(OLD_KEY_ARN);
    expect(JSON.stringify(env)).not.toMatch(/secretsmanager|dynamodb|BROKER_CONFIG/);
  });

  it('makes GET /.well-known/jwks.json the only method without AWS_IAM, proxied to the jwks function', () => {
    const apiResources = template.findResources('AWS::ApiGateway::Resource');
    const pathOf = (ref: unknown): string => {
      const id = (ref as { Ref?: string }).Ref;
      if (id === undefined) return '';
      const r = apiResources[id] as CfnObject;
      return `${pathOf(r.Properties.ParentId)}/${r.Properties.PathPart}`;
    };
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as CfnObject[];
    const open = methods.filter((m) => m.Properties.AuthorizationType !== 'AWS_IAM');
    expect(open.map((m) => `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`)).toEqual([
      'GET /.well-known/jwks.json',
    ]);
    expect(open[0]!.Properties.AuthorizationType).toBe('NONE');
    const uri = JSON.stringify(open[0]!.Properties.Integration.Uri);
    expect(uri).toMatch(/BrokerJwks[A-Za-z0-9]*Function/);
    expect(methods.length).toBeGreaterThan(6);
  });

  it('throttles the JWKS method on its own, far below the stage', () => {
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as CfnObject;
    expect(stage.Properties.MethodSettings).toContainEqual(
      expect.objectContaining({
        HttpMethod: 'GET',
        ResourcePath: '/~1.well-known~1jwks.json',
        ThrottlingRateLimit: 10,
        ThrottlingBurstLimit: 20,
      }),
    );
  });

  it('admits anonymous callers to the JWKS method alone in the resource policy', () => {
    const api = Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0] as CfnObject;
    const statements = api.Properties.Policy.Statement as CfnObject[];
    const jwksResource = 'execute-api:/*/GET/.well-known/jwks.json';
    const anonymous = statements.filter((s) => s.Effect === 'Allow' && s.Condition === undefined);
    expect(anonymous).toHaveLength(1);
    expect(anonymous[0]!.Resource).toBe(jwksResource);
    const deny = statements.find((s) => s.Effect === 'Deny')!;
    expect(deny.NotResource).toBe(jwksResource);
    expect(deny.Resource).toBeUndefined();
  });

  it('publishes the JWKS URL of the stage for the developer key', () => {
    expect(broker.jwksUrl).toBeDefined();
    expect(JSON.stringify(stack.resolve(broker.jwksUrl))).toContain('/.well-known/jwks.json');
    expect(broker.functions.jwks).toBe(broker.jwksFunction);
  });
});

describe('a CredentialBroker without an lti-advantage credential', () => {
  const { broker, template } = synth(baseProps, ['dap']);

  it('creates no signing key, no jwks function and no unauthenticated method', () => {
    expect(
      Object.values(template.findResources('AWS::KMS::Key')).map((k) => (k as CfnObject).Properties.KeySpec),
    ).not.toContain('RSA_2048');
    expect(broker.ltiSigningKey).toBeUndefined();
    expect(broker.jwksFunction).toBeUndefined();
    expect(broker.jwksUrl).toBeUndefined();
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as CfnObject[];
    expect(methods.every((m) => m.Properties.AuthorizationType === 'AWS_IAM')).toBe(true);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/kms:Sign|BROKER_LTI|jwks/);
  });
});

describe('CredentialBroker LTI props validation', () => {
  const attempt = (change: (props: CredentialBrokerProps, stack: Stack) => CredentialBrokerProps) => () => {
    const outdir = mkdtempSync(join(tmpdir(), 'broker-lti-props-'));
    outdirs.push(outdir);
    const stack = new Stack(new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } }), 'P');
    return new CredentialBroker(stack, 'Broker', change(withLti(stack), stack));
  };
  const lti = (props: CredentialBrokerProps) => props.credentials[1]!;
  const replaceLti = (props: CredentialBrokerProps, change: object): CredentialBrokerProps => ({
    ...props,
    credentials: [props.credentials[0]!, { ...lti(props), ...change }],
  });

  it('refuses a secret on an lti-advantage credential', () => {
    expect(
      attempt((p, stack) =>
        replaceLti(p, {
          secret: Secret.fromSecretCompleteArn(
            stack,
            'X',
            'arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf',
          ),
        }),
      ),
    ).toThrow('CredentialBroker: credentials[1].secret: must be absent for lti-advantage');
  });

  it('still requires a secret on every other kind', () => {
    expect(
      attempt((p) => ({ ...p, credentials: [{ ...p.credentials[0]!, secret: undefined }, lti(p)] })),
    ).toThrow('CredentialBroker: credentials[0].secret: an ISecret is required');
  });

  it('refuses a token endpoint that is not https', () => {
    expect(
      attempt((p) => replaceLti(p, { lti: { ...lti(p).lti, tokenUrl: 'http://sso.example.com/token' } })),
    ).toThrow('credentials[1].lti.tokenUrl: "http://sso.example.com/token" must be an https URL');
  });

  it('refuses a signing key given by alias', () => {
    expect(
      attempt((p, stack) => ({
        ...p,
        ltiSigningKey: Key.fromKeyArn(stack, 'Alias', 'arn:aws:kms:us-east-1:111111111111:alias/lti'),
      })),
    ).toThrow(
      'ltiSigningKey: "arn:aws:kms:us-east-1:111111111111:alias/lti" must be a KMS key ARN (not an alias)',
    );
  });

  it('refuses the current key among the previous ones, and more than five previous keys', () => {
    expect(
      attempt((p, stack) => ({ ...p, ltiSigningKey: Key.fromKeyArn(stack, 'Same', OLD_KEY_ARN) })),
    ).toThrow('ltiPreviousSigningKeys[0]: is the current ltiSigningKey');
    expect(
      attempt((p, stack) => ({
        ...p,
        ltiPreviousSigningKeys: [1, 2, 3, 4, 5, 6].map((n) =>
          Key.fromKeyArn(stack, `Old${n}`, OLD_KEY_ARN.replace('0ld', `0l${n}`)),
        ),
      })),
    ).toThrow('ltiPreviousSigningKeys: at most 5 keys');
  });

  it('refuses a JWKS max-age of a fraction of a second or over a day', () => {
    expect(attempt((p) => ({ ...p, jwksMaxAge: Duration.millis(1500) }))).toThrow(
      'jwksMaxAge: must be whole seconds from 0 to 86400',
    );
    expect(attempt((p) => ({ ...p, jwksMaxAge: Duration.days(2) }))).toThrow('jwksMaxAge');
  });

  it('refuses LTI key settings when no credential is of kind lti-advantage', () => {
    expect(attempt((p) => ({ ...p, credentials: [p.credentials[0]!], callers: [p.callers[0]!] }))).toThrow(
      'CredentialBroker: ltiPreviousSigningKeys: no credential is of kind lti-advantage',
    );
  });

  it('uses a signing key it is given instead of creating one', () => {
    const KEY = 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555';
    const broker = attempt((p, stack) => ({ ...p, ltiSigningKey: Key.fromKeyArn(stack, 'Given', KEY) }))();
    expect(broker.ltiSigningKey?.keyArn).toBe(KEY);
    const keys = Template.fromStack(Stack.of(broker)).findResources('AWS::KMS::Key');
    expect(Object.values(keys).map((k) => (k as CfnObject).Properties.KeySpec)).not.toContain('RSA_2048');
  });
});
