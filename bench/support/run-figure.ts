import { FIGURE_IDS, FIGURE_PLAN, isFigureId, RESULT_PREFIX } from './figure-plan.ts';

/**
 * Runs one figure in this (fresh) process and prints its result: each figure gets its own heap,
 * JIT state and sockets, so one cannot slow down or warm up the next.
 */
const id = process.argv[2];
if (!isFigureId(id)) {
  console.error(`usage: run-figure.ts <${FIGURE_IDS.join('|')}>`);
  process.exit(2);
}
const run = await FIGURE_PLAN[id].load();
const result = await run();
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
// Keep-alive sockets and SDK agents would otherwise hold the process open a while longer.
process.exit(0);
