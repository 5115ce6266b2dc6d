import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerClientError } from './broker-client-error.ts';
import { type AwsCredentials, makeBrokerClient } from './make-broker-client.ts';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly fetch?: typeof fetch;
  /** What `--version` prints: the version of the package the command was installed from. */
  readonly version?: string;
}

export const CLI_USAGE = `Usage: canvas-token <credential> [options]
       (in this repository: npm run -s token -- <credential> [options])

Prints a token of <credential> from the broker on stdout.

Options:
  --min-ttl <seconds>  least remaining life the token must have (default 0)
  --params <json>      caller parameters, e.g. '{"canvasAudience":false}'
  --scopes "<scopes>"  lti-advantage: the space-separated LTI Advantage scopes to ask for
                       (the same as --params '{"scopes":[...]}')
  --json               print the whole answer (token, expiresAt, expiresIn, fingerprint...) as JSON
  --endpoint <url>     the broker API (else $BROKER_ENDPOINT, else local mode's $BROKER_HOME/credentials.json)
  --region <region>    signing region (else $AWS_REGION, else taken from the endpoint host)
  -h, --help           show this help
  --version            print the version of the client package

With --endpoint or $BROKER_ENDPOINT, requests are signed with the default AWS credentials.
In local mode (npm start), the endpoint and a local key come from $BROKER_HOME/credentials.json.
Exit codes: 0 success, 1 the broker or the network failed, 2 bad usage or configuration.`;

/** What local mode writes at start: where it listens and the key it accepts. */
interface LocalCredentialsFile {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly endpoint: string;
}

class UsageError extends Error {}

const readLocalCredentials = async (path: string): Promise<LocalCredentialsFile | undefined> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const file = parsed as Partial<Record<keyof LocalCredentialsFile, unknown>> | undefined;
  if (
    typeof file?.accessKeyId !== 'string' ||
    typeof file.secretAccessKey !== 'string' ||
    typeof file.region !== 'string' ||
    typeof file.endpoint !== 'string'
  ) {
    // Never echo the file: it holds a secret key.
    throw new UsageError(
      `${path} is not a local credentials file (accessKeyId, secretAccessKey, region, endpoint)`,
    );
  }
  return file as LocalCredentialsFile;
};

const describeError = (error: BrokerClientError): string => {
  const facts = [
    error.status > 0 ? `HTTP ${error.status}` : undefined,
    error.retryAfterSeconds === undefined ? undefined : `retry after ${error.retryAfterSeconds} s`,
    error.requestId === undefined ? undefined : `request ${error.requestId}`,
  ].filter((fact) => fact !== undefined);
  return `${error.code}: ${error.message}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
};

/**
 * The `token` command: resolves the endpoint and the signing identity, asks the broker for one
 * token and prints it. Returns the exit code. The only secret it ever prints is the token it was
 * asked for, on stdout; errors go to stderr as one line.
 */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const fail = (code: number, message: string): number => {
    io.stderr(`token: ${message.replace(/\s+/g, ' ')}\n`);
    return code;
  };

  let values: {
    'min-ttl'?: string;
    params?: string;
    scopes?: string;
    json?: boolean;
    endpoint?: string;
    region?: string;
    help?: boolean;
    version?: boolean;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'min-ttl': { type: 'string' },
        params: { type: 'string' },
        scopes: { type: 'string' },
        json: { type: 'boolean' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (error) {
    return fail(2, `${(error as Error).message} (see --help)`);
  }
  if (values.help) {
    io.stdout(`${CLI_USAGE}\n`);
    return 0;
  }
  if (values.version) {
    io.stdout(`${io.version ?? 'unknown'}\n`);
    return 0;
  }
  if (positionals.length !== 1) return fail(2, 'expected exactly one credential id (see --help)');
  const credentialId = positionals[0]!;

  let minTtlSeconds: number | undefined;
  if (values['min-ttl'] !== undefined) {
    if (!/^\d{1,9}$/.test(values['min-ttl'])) return fail(2, '--min-ttl must be a whole number of seconds');
    minTtlSeconds = Number(values['min-ttl']);
  }
  let params: Record<string, unknown> | undefined;
  if (values.params !== undefined) {
    try {
      params = JSON.parse(values.params) as Record<string, unknown>;
    } catch {
      return fail(2, '--params must be a JSON object');
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      return fail(2, '--params must be a JSON object');
    }
  }

  if (values.scopes !== undefined) {
    const scopes = values.scopes.split(/\s+/).filter((scope) => scope !== '');
    if (scopes.length === 0) return fail(2, '--scopes must name at least one scope');
    if (params !== undefined && Object.hasOwn(params, 'scopes')) {
      return fail(2, 'give the scopes in --scopes or in --params, not both');
    }
    params = { ...params, scopes };
  }

  let endpoint = values.endpoint ?? (io.env.BROKER_ENDPOINT || undefined);
  let region = values.region ?? (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined);
  let credentials: AwsCredentials | undefined;
  let localFile: string | undefined;
  if (endpoint === undefined) {
    localFile = resolve(io.cwd, io.env.BROKER_HOME || '.broker', 'credentials.json');
    let local: LocalCredentialsFile | undefined;
    try {
      local = await readLocalCredentials(localFile);
    } catch (error) {
      return fail(2, (error as Error).message);
    }
    if (local === undefined) {
      return fail(
        2,
        `no broker endpoint: pass --endpoint, set BROKER_ENDPOINT, or start local mode (npm start) so ${localFile} exists`,
      );
    }
    endpoint = local.endpoint;
    region = values.region ?? local.region;
    credentials = { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey };
  }

  try {
    const client = makeBrokerClient({ endpoint, region, credentials, fetch: io.fetch });
    const token = await client.getToken(credentialId, { minTtlSeconds, params });
    io.stdout(values.json ? `${JSON.stringify(token, null, 2)}\n` : `${token.token}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BrokerClientError)) return fail(1, `unexpected failure: ${(error as Error).name}`);
    if (error.code === 'INVALID_ARGUMENT') return fail(2, error.message);
    const hint =
      error.code === 'NETWORK_ERROR' && localFile !== undefined
        ? ` (is local mode running? ${localFile} names ${endpoint})`
        : '';
    return fail(1, `${describeError(error)}${hint}`);
  }
};
