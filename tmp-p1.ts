import { runP1 } from './bench/p1-cold-fleet.ts';
const r = await runP1();
const { lti, ...rest } = r;
console.log(JSON.stringify(rest));
console.log(JSON.stringify(lti));
process.exit(0);
