import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, Token, Tokenization, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Repository root: entries in FUNCTION_ENTRIES are relative to it. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Lambda's limit on the total size of a function's environment variables. */
const ENV_LIMIT_BYTES = 4096;
/**
 * Unresolved tokens (table name, key ARN, secret ARNs of secrets defined in the same app) are only
 * known at deploy; count each at a generous ARN-sized length so the check errs on the safe side.
 */
const TOKEN_ESTIMATE_BYTES = 128;

// The bundle is ESM; a few dependencies still call require() for Node built-ins, which ESM lacks.
// Aliased import: a bundled module importing `createRequire` itself must not collide with it.
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __brokerCreateRequire } from 'node:module'; const require = __brokerCreateRequire(import.meta.url);";

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
 * One broker Lambda: bundled locally by the project's esbuild (never Docker) into a minified ESM
 * file that includes the AWS SDK v3 clients, on the newest Node LTS and ARM64, with its own log
 * group and a role that holds only what the broker grants it (no AWS-managed policy).
 */
export class BrokerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);

    const entry = join(PROJECT_ROOT, props.entry);
    if (!existsSync(entry)) throw new Error(`BrokerFunction ${id}: entry ${props.entry} does not exist`);

    const environment: Record<string, string> = {
      ...props.environment,
      // Stack traces through the emitted source map; the map has no sources content, so its parse
      // cost at init stays small.
      NODE_OPTIONS: '--enable-source-maps',
    };
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

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        banner: CREATE_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // NodejsFunction leaves @aws-sdk/* external on Node 18+; bundling the clients we use loads
        // faster than the runtime's full copy and pins their version to our lock file.
        externalModules: [],
        logLevel: LogLevel.WARNING,
      },
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
