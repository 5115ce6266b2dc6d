export type { EndpointName } from './endpoint-name.ts';
export { ENDPOINT_NAMES } from './endpoint-name.ts';
export type { FaultKind, FaultSpec } from './fault-spec.ts';
export type {
  Introspection,
  RunningSimulator,
  SimulatorOptions,
  SimulatorSeeds,
} from './simulator-types.ts';
export { DEFAULT_ALLOWED_AUDIENCES } from './simulator-types.ts';
export { startSimulator } from './start-simulator.ts';
