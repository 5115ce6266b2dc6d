import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FIGURE_IDS, FIGURE_PLAN, type FigureId } from './support/figure-plan.ts';
import { formatWithBiome } from './support/format-with-biome.ts';
import { describeMachine, machineInfo } from './support/machine-info.ts';
import { formatTable, type Results, tableRows } from './support/report-table.ts';
import { spawnFigure } from './support/spawn-figure.ts';

/**
 * `npm run bench`: measures the quality bars P1-P5 of docs/DESIGN.md on this machine, one figure per
 * child process, prints one table and writes bench/results.json. A missed target is a result, not
 * a failure; the run fails (exit 1) only when a figure could not be measured.
 */
const RESULTS_PATH = fileURLToPath(new URL('./results.json', import.meta.url));
const only = process.argv.slice(2).filter((a): a is FigureId => (FIGURE_IDS as string[]).includes(a));
const ids = only.length > 0 ? only : FIGURE_IDS;

const machine = machineInfo();
const date = new Date().toISOString();
console.log(`canvas-credential-broker benchmarks, ${date}`);
console.log(`${describeMachine(machine)}; load average ${machine.loadAverage.join(' ')}\n`);

const results: Results & Record<string, unknown> = {};
const failures: Partial<Record<FigureId, string>> = {};
for (const id of ids) {
  process.stdout.write(`${id} ${FIGURE_PLAN[id].title} ... `);
  const outcome = await spawnFigure(id);
  if (outcome.ok) {
    (results as Record<string, unknown>)[id] = outcome.result;
    console.log(`${outcome.result.met ? 'met' : 'missed'} (${outcome.seconds} s)`);
  } else {
    failures[id] = outcome.error;
    (results as Record<string, unknown>)[id] = { error: outcome.error, met: false };
    console.log(`FAILED: ${outcome.error}`);
  }
}

console.log(`\n${formatTable(tableRows(results, failures))}\n`);
await writeFile(
  RESULTS_PATH,
  `${JSON.stringify({ ...results, machine: describeMachine(machine), machineDetail: machine, date }, null, 2)}\n`,
);
const unformatted = formatWithBiome(RESULTS_PATH);
console.log(`results written to bench/results.json${unformatted ? ` (not formatted: ${unformatted})` : ''}`);
if (Object.keys(failures).length > 0) process.exit(1);
