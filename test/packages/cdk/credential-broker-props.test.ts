import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialBrokerProps } from '@canvas-credential-broker/cdk';
import { CredentialBroker } from '@canvas-credential-broker/cdk';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountPrincipal } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkAppContext } from './cdk-app-context.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh app whose stacks skip asset bundling: these tests are about props, not bundles. */
const unbundledStack = (): { app: App; stack: Stack } => {
  const outdir = mkdtempSync(join(tmpdir(), 'broker-props-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkAppContext(), 'aws:cdk:bundling-stacks': [] } });
  return { app, stack: new Stack(app, 'Props') };
};

const secretArn = (name: string): string =>
  `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}-AbCdEf`;

const validProps = (stack: Stack): CredentialBrokerProps => ({
  credentials: [
    {
      id: 'dap',
      kind: 'identity-service',
      secret: Secret.fromSecretCompleteArn(stack, 'Dap', secretArn('dap')),
      baseUrl: 'https://api-gateway.instructure.com',
    },
    {
      id: 'canvas',
      kind: 'canvas-jwt',
      secret: Secret.fromSecretCompleteArn(stack, 'Canvas', secretArn('canvas')),
      baseUrl: 'https://example.instructure.com',
    },
  ],
  callers: [{ principals: ['arn:aws:iam::222222222222:role/reader'], credentials: ['dap'] }],
  allowedAccountIds: ['222222222222'],
});

const brokerWith = (change: (props: CredentialBrokerProps, stack: Stack) => CredentialBrokerProps) => () => {
  const { stack } = unbundledStack();
  return new CredentialBroker(stack, 'Broker', change(validProps(stack), stack));
};

describe('CredentialBroker props validation', () => {
  it('names the credential field whose id breaks the pattern', () => {
    expect(
      brokerWith((p) => ({
        ...p,
        credentials: [p.credentials[0]!, { ...p.credentials[1]!, id: 'Canvas_JWT' }],
      })),
    ).toThrow(/^CredentialBroker: credentials\[1\]\.id: /);
  });

  it('rejects a duplicate credential id at the second occurrence', () => {
    expect(
      brokerWith((p) => ({ ...p, credentials: [p.credentials[0]!, { ...p.credentials[1]!, id: 'dap' }] })),
    ).toThrow(/credentials\[1\]\.id: duplicate credential id "dap"/);
  });

  it('rejects a kind outside the three token kinds', () => {
    expect(
      brokerWith((p) => ({
        ...p,
        credentials: [{ ...p.credentials[0]!, kind: 'oauth' as 'canvas-jwt' }, p.credentials[1]!],
      })),
    ).toThrow(/credentials\[0\]\.kind: /);
  });

  it('requires https base URLs, even for loopback hosts that local mode allows', () => {
    expect(
      brokerWith((p) => ({
        ...p,
        credentials: [p.credentials[0]!, { ...p.credentials[1]!, baseUrl: 'http://127.0.0.1:8080' }],
      })),
    ).toThrow(/credentials\[1\]\.baseUrl: .*https/);
  });

  it('rejects a caller rule that references an unknown credential', () => {
    expect(
      brokerWith((p) => ({
        ...p,
        callers: [{ principals: ['account:222222222222'], credentials: ['dapp'] }],
      })),
    ).toThrow(/callers\[0\]\.credentials\[0\]: unknown credential "dapp"/);
  });

  it('rejects a malformed or session principal', () => {
    expect(
      brokerWith((p) => ({
        ...p,
        callers: [
          { principals: ['arn:aws:sts::222222222222:assumed-role/reader/session'], credentials: ['*'] },
        ],
      })),
    ).toThrow(/callers\[0\]\.principals\[0\]: /);
  });

  it('requires an organization or account scope for the API resource policy', () => {
    expect(brokerWith(({ allowedAccountIds: _, ...p }) => p)).toThrow(/allowedOrganizationId: .*required/);
    expect(brokerWith((p) => ({ ...p, allowedAccountIds: ['12345'] }))).toThrow(/allowedAccountIds\[0\]: /);
    expect(brokerWith((p) => ({ ...p, allowedOrganizationId: 'org-1' }))).toThrow(/allowedOrganizationId: /);
  });

  it('requires the rotated Canvas token to outlive the rotation interval', () => {
    expect(
      brokerWith((p, stack) => ({
        ...p,
        canvasTokenRotation: {
          secret: Secret.fromSecretCompleteArn(stack, 'Rotated', secretArn('rotated')),
          canvasBaseUrl: 'https://example.instructure.com',
          rotateEvery: Duration.days(60),
          tokenExpiryDays: 30,
        },
      })),
    ).toThrow(/canvasTokenRotation\.tokenExpiryDays: 30 days must exceed rotateEvery/);
  });

  it("fails synth when the config would overflow Lambda's 4 KB environment", () => {
    const principals = Array.from(
      { length: 100 },
      (_, i) => `arn:aws:iam::222222222222:role/service-${i}-reader`,
    );
    expect(brokerWith((p) => ({ ...p, callers: [{ principals, credentials: ['*'] }] }))).toThrow(
      /environment is ~\d+ bytes .*BROKER_CONFIG=\d+.*Lambda allows 4096/,
    );
  });
});

describe('a broker without rotation, scoped to accounts, behind a WAF', () => {
  const { app, stack } = unbundledStack();
  new CredentialBroker(stack, 'Broker', {
    ...validProps(stack),
    prewarmInterval: Duration.minutes(5),
    throttle: { rateLimit: 20, burstLimit: 40 },
    webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/broker/abcd',
    apiGatewayCloudWatchRole: false,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = Template.fromStack(stack);

  it('deploys no rotation function and no rotation schedule', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('admits only the listed accounts', () => {
    const api = Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0]!;
    expect(api.Properties.Policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Condition: { StringEquals: { 'aws:PrincipalAccount': ['222222222222'] } },
      }),
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { StringNotEquals: { 'aws:PrincipalAccount': ['222222222222'] } },
      }),
    ]);
  });

  it('uses the given pre-warm interval, throttling and web ACL', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [{ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }],
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('still passes cdk-nag, without the WAF or CloudWatch-role acknowledgements', () => {
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: unknown[]; suppressedViolations?: { ruleName: string }[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    const acknowledged = report.pluginReports
      .flatMap((r) => r.suppressedViolations ?? [])
      .map((v) => v.ruleName);
    expect(acknowledged).not.toContain('AwsSolutions-APIG3');
    expect(acknowledged.some((id) => id.startsWith('AwsSolutions-IAM4'))).toBe(false);
  });
});

describe('grantInvoke for a principal of another account', () => {
  it('falls back to a resource-based permission on token-invoke', () => {
    const { stack } = unbundledStack();
    const broker = new CredentialBroker(stack, 'Broker', validProps(stack));
    broker.grantInvoke(new AccountPrincipal('333333333333'));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: '333333333333',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BrokerTokenInvokeFunction'), 'Arn'] },
    });
  });
});
