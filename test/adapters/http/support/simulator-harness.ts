import { type RunningSimulator, startSimulator } from '../../../../dev/simulator/index.ts';
import type { HttpClientDeps } from '../../../../shared/adapters/http/http-client-deps.ts';
import { makeSteppingClock } from './stepping-clock.ts';

/** The simulator's time, a whole second so its `Date` header (truncated to seconds) is exact. */
export const SIM_START = Date.parse('2031-01-01T00:00:00Z');
/** The broker's clock runs 5 minutes ahead of Instructure's; Date anchoring must cancel that out. */
export const LOCAL_START = SIM_START + 300_000;
/** Round trip as the injected client clock sees it. */
export const ROUND_TRIP_MS = 1_500;

export interface SimulatorHarness {
  readonly sim: RunningSimulator;
  /** Moves the simulator's base clock (separately from the /__sim/clock offset). */
  advance(ms: number): void;
  /** Back to a fresh simulator at SIM_START: seeds, tokens, stats, faults, offset, buckets. */
  reset(): void;
  /** Calls the simulator's HTTP control API. */
  control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  /** Client deps on a fresh stepping clock (LOCAL_START, ROUND_TRIP_MS per read). */
  deps(overrides?: Partial<HttpClientDeps>): HttpClientDeps;
}

/** A simulator on 127.0.0.1:0 whose clock only moves when a test says so. */
export const startSimulatorHarness = async (): Promise<SimulatorHarness> => {
  let simTime = SIM_START;
  const sim = await startSimulator({ now: () => simTime });
  return {
    sim,
    advance(ms) {
      simTime += ms;
    },
    reset() {
      simTime = SIM_START;
      sim.reset();
    },
    async control(method, path, body) {
      const response = await fetch(`${sim.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'user-agent': 'test-harness' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok)
        throw new Error(`control ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
      const text = await response.text();
      return text === '' ? undefined : JSON.parse(text);
    },
    deps(overrides = {}) {
      return {
        baseUrl: sim.url,
        clock: makeSteppingClock(LOCAL_START, ROUND_TRIP_MS),
        timeoutMs: 5_000,
        userAgent: 'canvas-credential-broker/test',
        ...overrides,
      };
    },
  };
};
