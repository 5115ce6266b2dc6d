import type { BundleLambdaOptions, LambdaBundle } from './bundle-lambda.ts';

/**
 * Stands in for packages/cdk/src/bundle-lambda.ts in the published package (scripts/build-packages.ts swaps it
 * in), so the package neither ships nor needs esbuild: its functions come prebuilt, and reaching
 * this means the package was built without them.
 */
export const bundleLambda = (options: BundleLambdaOptions): LambdaBundle => {
  throw new Error(
    `@canvas-credential-broker/cdk: the prebuilt bundle of ${options.entry} is missing from this installation (reinstall the package)`,
  );
};
