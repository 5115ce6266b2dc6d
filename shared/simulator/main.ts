import { onParentExit } from '../local/on-parent-exit.ts';
import { startSimulator } from './start-simulator.ts';

/**
 * `npm run simulator -- --port <p> [--host <h>]`. The first stdout line is exactly one JSON
 * object with the URL and seeded credentials, so a parent process can read it and connect.
 */
const argValue = (name: string): string | undefined => {
  const args = process.argv.slice(2);
  const index = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index === -1) return undefined;
  const arg = args[index] as string;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
};

const main = async (): Promise<void> => {
  const portText = argValue('port') ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error('simulator: --port must be an integer from 0 to 65535');
    process.exit(2);
  }
  const host = argValue('host') ?? '127.0.0.1';
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
