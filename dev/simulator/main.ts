import { parseArgs } from 'node:util';
import { onParentExit } from '../support/on-parent-exit.ts';
import { startSimulator } from './start-simulator.ts';

/**
 * `npm run -s simulator -- --port <p> [--host <h>]` (`-s`: npm's own banner would come first). The
 * first stdout line is exactly one JSON object with the URL and seeded credentials, so a parent
 * process can read it and connect.
 */
const USAGE = `Usage: npm run -s simulator -- [--port <port>] [--host <host>]

Starts the Instructure simulator. The first stdout line is one JSON object: its URL and the seeded
credentials. Stops on SIGTERM, SIGINT or when its parent exits.

Options:
  --port <port>  port to listen on, 0 for any free one (default 0)
  --host <host>  address to listen on (default 127.0.0.1)
  -h, --help     show this help`;

const main = async (): Promise<void> => {
  let values: { port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`simulator: ${error instanceof Error ? error.message : String(error)} (see --help)`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const portText = values.port ?? '0';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error('simulator: --port must be an integer from 0 to 65535');
    process.exit(2);
  }
  const host = values.host ?? '127.0.0.1';
  const simulator = await startSimulator({ port, host });
  process.stdout.write(`${JSON.stringify(simulator.seeds())}\n`);
  console.error(`simulator: listening on ${simulator.url} (control API under /__sim)`);

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  onParentExit(shutdown);
};

main().catch((error: unknown) => {
  console.error(`simulator: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
