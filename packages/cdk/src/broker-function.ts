import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, type Duration, Token, Tokenization, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFn, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleLambda } from './bundle-lambda.ts';

/** Repository root: entries in FUNCTION_ENTRIES are relative to it. */
const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Where the published construct package keeps the function bundles it built at pack time
 * (scripts/build-packages.ts): `lambda-bundles/<entry name>/index.mjs` beside the package's own module,
 * so a consumer's synth needs no esbuild, tsx or Docker. Absent in this repository, where each function
 * is bundled from source at synth instead.
 */
const PREBUILT_DIR = fileURLToPath(new URL('./lambda-bundles/', import.meta.url));

/** The prebuilt bundle directory of an entry, when this module runs from the published package. */
const prebuiltBundleOf = (entry: string): string | undefined => {
  const dir = join(PREBUILT_DIR, basename(entry, '.ts'));
  return existsSync(join(dir, 'index.mjs')) ? dir : undefined;
};

/** Lambda's limit on the total size of a function's environment variables. */
const ENV_LIMIT_BYTES = 4096;
/**
 * Unresolved tokens (table name, key ARN, secret ARNs of secrets defined in the same app) are only
 * known at deploy; count each at a generous ARN-sized length so the check errs on the safe side.
 */
const TOKEN_ESTIMATE_BYTES = 128;

/**
 * Named in the bundling options but never pulled or run: local bundling (esbuild in this process)
 * always succeeds or throws, and CDK falls back to Docker only when it returns false.
 */
const UNUSED_BUNDLING_IMAGE = 'public.ecr.aws/sam/build-nodejs24.x';

/**
 * In this repository: bundle the entry from source at synth. The published package never gets here,
 * it ships the bundles prebuilt (and the Code asset is that folder).
 */
const bundledFromSource = (entry: string): Code =>
  Code.fromAsset(PROJECT_ROOT, {
    // Hash the bundle, not the source: the source path is the repository root, and hashing it
    // (or copying it, which bundling never does) would walk node_modules on every synth.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry(UNUSED_BUNDLING_IMAGE),
      // Not read by anything: CDK caches a staged asset under a key built from the bundling
      // options as JSON, where `local` counts for nothing (a function is not JSON), so without
      // the entry here every function of a synth would get the first one's bundle.
      environment: { BROKER_FUNCTION_ENTRY: entry },
      local: {
        tryBundle: (outputDir) => {
          bundleLambda({ entry, outdir: outputDir, projectRoot: PROJECT_ROOT });
          return true;
        },
      },
    },
  });

export interface BrokerFunctionProps {
  /** Entry file relative to the repository root (a FUNCTION_ENTRIES value). */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  /** The complete environment: checked against Lambda's 4 KB limit at synth. */
  readonly environment: Readonly<Record<string, string>>;
}

const estimatedBytes = (value: string): number => {
  if (!Token.isUnresolved(value)) return Buffer.byteLength(value);
  const placeholder = 'x'.repeat(TOKEN_ESTIMATE_BYTES);
  const estimate: unknown = Tokenization.reverseString(value)
    .mapTokens({ mapToken: () => placeholder })
    .join({ join: (left, right) => `${left}${right}` });
  return Buffer.byteLength(String(estimate));
};

/**
 * One broker Lambda: bundled locally by the project's esbuild (never Docker, see bundle-lambda.ts)
 * into minified ESM that includes the AWS SDK v3 clients, on the newest Node LTS and ARM64, with its
 * own log group and a role that holds only what the broker grants it (no AWS-managed policy).
 *
 * Not NodejsFunction: it bundles with esbuild's `--outfile`, which forbids code splitting, so the
 * KMS, Secrets Manager and upstream HTTP clients the runtime loads with import() only to decrypt or
 * refresh a token would be inlined into the code every cold start loads (quality bar P4).
 */
export class BrokerFunction extends Construct {
  readonly function: LambdaFn;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);

    const prebuilt = prebuiltBundleOf(props.entry);
    const entry = join(PROJECT_ROOT, props.entry);
    if (prebuilt === undefined && !existsSync(entry))
      throw new Error(`BrokerFunction ${id}: entry ${props.entry} does not exist`);

    // No NODE_OPTIONS=--enable-source-maps: Node then parses the maps of index.mjs and its static
    // chunks at every cold start, measured at +7 ms (~20 %) of token-api's module init (bench P4).
    // The maps still ship beside the code, so the flag can be set on a function while debugging.
    const environment: Record<string, string> = { ...props.environment };
    const envBytes = Object.entries(environment).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + estimatedBytes(v),
      0,
    );
    if (envBytes > ENV_LIMIT_BYTES) {
      const sizes = Object.entries(environment)
        .map(([k, v]) => `${k}=${estimatedBytes(v)}`)
        .join(', ');
      throw new Error(
        `CredentialBroker: the ${id} function's environment is ~${envBytes} bytes (${sizes}); Lambda allows ${ENV_LIMIT_BYTES} in total. Shorten the config: fewer or shorter caller principals, credentials or parameters.`,
      );
    }

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (canvas-credential-broker)`,
    });
    // Explicit log permissions on this function's own log group, instead of the
    // AWSLambdaBasicExecutionRole managed policy (which allows every log group in the account).
    this.logGroup.grantWrite(this.role);

    this.function = new LambdaFn(this, 'Function', {
      code: prebuilt !== undefined ? Code.fromAsset(prebuilt) : bundledFromSource(props.entry),
      handler: 'index.handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment,
    });
    // The function's role must exist with its policy before the function can log or trace.
    this.function.node.addDependency(this.role);

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Tracing.ACTIVE adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions: Resource::* is their only possible scope.',
    });
  }
}
