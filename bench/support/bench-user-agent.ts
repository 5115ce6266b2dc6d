/** Sent on every upstream call the benchmarks make (the simulator, like Instructure, requires one). */
export const BENCH_USER_AGENT = 'canvas-credential-broker/bench';
