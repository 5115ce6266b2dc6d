import { relative, resolve } from 'node:path';
import { isBrokerError } from '../../shared/core/errors.ts';
import { onParentExit } from '../support/on-parent-exit.ts';
import { type ConsoleLogLevel, makeConsoleLogger } from './console-logger.ts';
import { type LocalBroker, startLocalBroker } from './start-local-broker.ts';

// `npm start`: local mode. The environment is read here, once; everything below takes options.
const env = process.env;
const home = resolve(env.BROKER_HOME || '.broker');
const portText = env.BROKER_PORT || '8787';
const logLevel = (env.BROKER_LOG_LEVEL || 'info').toLowerCase() as ConsoleLogLevel;

function fail(message: string): never {
  console.error(`local mode: ${message}`);
  process.exit(1);
}

if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535)
  fail(`BROKER_PORT must be a port number, got ${portText}`);
if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
  fail('BROKER_LOG_LEVEL must be debug, info, warn or error');

const logger = makeConsoleLogger({ write: (line) => process.stderr.write(`${line}\n`), level: logLevel });

const describeStartFailure = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `port ${portText} is in use; set BROKER_PORT to another port`;
  if (isBrokerError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown failure';
};

// Signals are handled from the very start: one arriving before the banner (or during start-up)
// still stops everything that was started, instead of killing the process with dynalite's files
// and the port held.
let broker: LocalBroker | undefined;
let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info('local mode stopping', { signal });
  // Still starting: the start-up path below sees `stopping` and stops what it started.
  if (broker === undefined) return;
  broker.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error('local mode did not stop cleanly', { error });
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
onParentExit(() => shutdown('SIGTERM'));

try {
  broker = await startLocalBroker({
    home,
    port: Number(portText),
    identityUrl: env.BROKER_IDENTITY_URL || undefined,
    canvasUrl: env.BROKER_CANVAS_URL || undefined,
    logger,
  });
} catch (error) {
  fail(describeStartFailure(error));
}
if (stopping) {
  await broker.stop();
  process.exit(0);
}

const rel = relative(process.cwd(), home);
const homePrefix = rel === '.broker' ? '' : `BROKER_HOME=${home} `;
const sourceText: Record<LocalBroker['configSource'], string> = {
  'config-file': `your config ${broker.configPath}`,
  simulator: `the Instructure simulator at ${broker.simulator?.url}`,
  environment: 'the Instructure endpoints in BROKER_IDENTITY_URL and BROKER_CANVAS_URL',
  'environment+simulator': `your Instructure endpoint and the simulator at ${broker.simulator?.url}`,
};
const lines = [
  '',
  `canvas-credential-broker local mode is listening on ${broker.url}`,
  `  credentials: ${broker.credentialIds.join(', ')} (upstream: ${sourceText[broker.configSource]})`,
  `  caller:      ${broker.principalArn}, key in ${broker.credentialsPath}`,
  `  state:       ${broker.home} (kept across restarts)`,
  '',
  'Fetch a token:',
  `  ${homePrefix}npm run -s token -- ${broker.credentialIds[0] ?? 'dap'}`,
  `  ${homePrefix}npm run -s token -- ${broker.credentialIds.includes('canvas-jwt') ? 'canvas-jwt' : (broker.credentialIds[0] ?? 'dap')} --json`,
  ...(broker.credentialIds.includes('lti')
    ? [
        `  ${homePrefix}npm run -s token -- lti --scopes "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"`,
        `  LTI JWKS (unsigned, for a developer key's public JWK URL): ${broker.url}/.well-known/jwks.json`,
      ]
    : []),
  '',
];
if (broker.missingSecrets.length > 0) {
  lines.push(
    `Add these secrets to ${broker.secretsPath} before fetching: ${broker.missingSecrets.join(', ')}`,
    '',
  );
}
lines.push('Stop with Ctrl-C.', '');
console.log(lines.join('\n'));
