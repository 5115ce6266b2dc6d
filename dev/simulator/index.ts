export type { EndpointName, FaultTarget, RouteName } from './endpoint-name.ts';
export { ENDPOINT_NAMES, ROUTE_NAMES } from './endpoint-name.ts';
export type { FaultKind, FaultSpec } from './fault-spec.ts';
export type { SimDeployment } from './sim-deployment.ts';
export { DEFAULT_DEPLOYMENT } from './sim-deployment.ts';
export type {
  Introspection,
  RunningSimulator,
  SimulatorOptions,
  SimulatorSeeds,
} from './simulator-types.ts';
export { DEFAULT_ALLOWED_AUDIENCES } from './simulator-types.ts';
export { startSimulator } from './start-simulator.ts';
