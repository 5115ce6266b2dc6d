// A platform team's CDK app, in plain JavaScript: no TypeScript, esbuild or Docker is needed to
// synthesize it, because the construct package ships its Lambda code prebuilt.
//
// Replace the example account, organization, secret ARNs and hosts with your own, then
// `npx cdk deploy`. Synthesis itself needs no AWS credentials.

import { CredentialBroker } from '@canvas-credential-broker/cdk';
import { App, Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const secretArn = (name) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}`;

const app = new App();
// An explicit environment: the caller policy names the caller role by its full ARN.
const stack = new Stack(app, 'CanvasCredentialBroker', { env: { account: ACCOUNT, region: REGION } });

// The role a service of this account runs as (here a Lambda function's role).
const reportingRoleName = 'reporting-service';
const reportingRole = new Role(stack, 'ReportingServiceRole', {
  roleName: reportingRoleName,
  assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
});

const broker = new CredentialBroker(stack, 'Broker', {
  credentials: [
    {
      id: 'dap',
      kind: 'identity-service',
      secret: Secret.fromSecretCompleteArn(stack, 'DapSecret', secretArn('canvas-broker/dap-client-EXAMPL')),
      baseUrl: 'https://api-gateway.instructure.com',
    },
    {
      id: 'inst-access',
      kind: 'inst-access',
      secret: Secret.fromSecretCompleteArn(
        stack,
        'CanvasTokenSecret',
        secretArn('canvas-broker/canvas-access-token-EXAMPL'),
      ),
      baseUrl: 'https://example.instructure.com',
    },
  ],
  // The broker's own, deny-by-default caller policy; IAM (the grant below) lets the request in.
  callers: [
    {
      principals: [`arn:aws:iam::${ACCOUNT}:role/${reportingRoleName}`],
      credentials: ['dap', 'inst-access'],
    },
  ],
  allowedAccountIds: [ACCOUNT],
});

broker.grantTokenAccess(reportingRole, ['dap', 'inst-access']);

app.synth();
