/**
 * Module replacements applied when the Lambda functions are bundled (packages/cdk/src/broker-function.ts) and
 * when the benchmark bundles them the same way (bench/). Paths are relative to the project root.
 */
export const LAMBDA_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './shared/runtime/lambda-credential-provider.ts',
};
