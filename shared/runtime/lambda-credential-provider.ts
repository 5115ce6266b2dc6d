import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Bundled into the Lambda functions in place of `@aws-sdk/credential-provider-node` (an esbuild
 * alias, see shared/config/lambda-bundle.ts). Lambda hands a function its role's credentials in
 * environment variables, so the default chain's other links (SSO, INI files, IMDS, web identity,
 * and the STS/SSO clients they pull in) are dead weight there: about 90 KB of bundle and their
 * module init on every cold start. Local mode and tests are not bundled and keep the full chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
