import { startEmbeddedDynamo } from '../../dev/local/embedded-dynamodb.ts';

/**
 * dynalite in its own process, so the table's CPU work does not share the broker's event loop (on
 * Lambda the table is remote). Prints its endpoint as one JSON line, and exits when its parent
 * closes stdin or goes away, so it can never outlive the benchmark.
 */
const server = await startEmbeddedDynamo();
process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.stop().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.stdin.resume();
