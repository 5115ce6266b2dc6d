import { CredentialBroker } from '@canvas-credential-broker/cdk';
import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { sampleBrokerProps } from './sample-config.ts';

// Environment-agnostic on purpose: synth needs no AWS credentials. `cdk deploy` targets the
// account/region of the CLI's credentials.
const app = new App();
const stack = new Stack(app, 'CanvasCredentialBroker', {
  description: 'canvas-credential-broker: short-lived Instructure tokens for internal callers',
});
const broker = new CredentialBroker(stack, 'Broker', sampleBrokerProps(stack));
// The Canvas developer key's "Public JWK URL", when a credential is of kind lti-advantage.
if (broker.jwksUrl !== undefined) new CfnOutput(stack, 'JwksUrl', { value: broker.jwksUrl });
// cdk-nag 3 runs as a CDK policy-validation plugin (it replaced v2's Aspect): any unacknowledged
// AwsSolutions error fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
