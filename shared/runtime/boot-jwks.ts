import { makeKmsAssertionSigner } from '../adapters/aws/kms-assertion-signer.ts';
import { makeKmsClient } from '../adapters/aws/kms-client.ts';
import type { PowertoolsTelemetry } from '../adapters/powertools/make-powertools-telemetry.ts';
import { type JwksPublisher, makeJwksPublisher } from '../core/jwks-publisher.ts';
import { bootTelemetry } from './boot-telemetry.ts';
import { type JwksEnvironment, loadJwksEnvironment } from './load-jwks-environment.ts';

/** One GetPublicKey per key per instance; a slow KMS is better answered with a fast 503. */
const KMS_TIMEOUT_MS = 2_000;

export interface JwksRuntime {
  readonly environment: JwksEnvironment;
  readonly telemetry: PowertoolsTelemetry;
  readonly publisher: JwksPublisher;
}

/**
 * Cold start of the jwks function: the signers are built only for their public-key path. Their
 * `sign` is never called here, and the function's role holds kms:GetPublicKey alone, so even a
 * bug could not make this unauthenticated route sign anything.
 */
export const bootJwks = (processEnv: NodeJS.ProcessEnv): JwksRuntime => {
  const environment = loadJwksEnvironment(processEnv);
  const telemetry = bootTelemetry(environment);
  const client = makeKmsClient({ region: environment.region, timeoutMs: KMS_TIMEOUT_MS });
  const signer = (keyArn: string) => makeKmsAssertionSigner({ client, keyArn });
  const publisher = makeJwksPublisher({
    current: signer(environment.signingKeyArn),
    previous: environment.previousSigningKeyArns.map(signer),
    maxAgeSeconds: environment.maxAgeSeconds,
    logger: telemetry.logger,
  });
  return { environment, telemetry, publisher };
};
