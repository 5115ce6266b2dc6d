import type { CredentialBrokerProps } from '@canvas-credential-broker/cdk';
import { Duration } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

// EXAMPLE VALUES: replace every account id, organization id, ARN and host below with your own
// before `npx cdk deploy`. 111111111111 / 222222222222 and o-exampleorg1 are placeholders.
const EXAMPLE_REGION = 'us-east-1';
const EXAMPLE_ACCOUNT = '111111111111';
const exampleSecretArn = (name: string): string =>
  `arn:aws:secretsmanager:${EXAMPLE_REGION}:${EXAMPLE_ACCOUNT}:secret:${name}`;

/**
 * The sample deployment `infra/app.ts` synthesizes: edit this file to deploy your broker. Secrets
 * are referenced by complete ARN (with Secrets Manager's 6-character suffix) so IAM grants name
 * exactly that secret.
 */
export const sampleBrokerProps = (scope: Construct): CredentialBrokerProps => {
  const dapSecret = Secret.fromSecretCompleteArn(
    scope,
    'DapClientSecret',
    exampleSecretArn('canvas-broker/dap-client-EXAMPL'),
  );
  const canvasTokenSecret = Secret.fromSecretCompleteArn(
    scope,
    'CanvasAccessTokenSecret',
    exampleSecretArn('canvas-broker/canvas-access-token-EXAMPL'),
  );
  return {
    credentials: [
      {
        id: 'dap',
        kind: 'identity-service',
        secret: dapSecret,
        baseUrl: 'https://api-gateway.instructure.com',
      },
      {
        id: 'canvas-services',
        kind: 'canvas-jwt',
        secret: canvasTokenSecret,
        baseUrl: 'https://example.instructure.com',
        fixedParams: { workflows: ['rich_content'] },
        callerParams: { contextType: ['Course'], contextId: '*' },
      },
      {
        id: 'inst-access',
        kind: 'inst-access',
        secret: canvasTokenSecret,
        baseUrl: 'https://example.instructure.com',
      },
    ],
    callers: [
      {
        // Any role whose name starts with data-pipeline- in the example workload account.
        principals: ['arn:aws:iam::222222222222:role/data-pipeline-*'],
        credentials: ['dap'],
      },
      {
        principals: ['arn:aws:iam::222222222222:role/course-tools', 'lambda-invoke'],
        credentials: ['canvas-services', 'inst-access'],
      },
      {
        principals: [`arn:aws:iam::${EXAMPLE_ACCOUNT}:role/platform-admin`],
        credentials: ['*'],
        admin: true,
      },
    ],
    allowedOrganizationId: 'o-exampleorg1',
    allowedAccountIds: [EXAMPLE_ACCOUNT],
    canvasTokenRotation: {
      secret: canvasTokenSecret,
      canvasBaseUrl: 'https://example.instructure.com',
      rotateEvery: Duration.days(30),
      tokenExpiryDays: 90,
    },
  };
};
