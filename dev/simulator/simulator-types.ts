import type { EndpointName, RouteName } from './endpoint-name.ts';
import type { FaultSpec } from './fault-spec.ts';
import type { LtiTokenStateOptions } from './lti-token-state.ts';
import type { SimDeployment } from './sim-deployment.ts';

/** What a client needs to talk to a running simulator: the same object `main.ts` prints first. */
export interface SimulatorSeeds {
  url: string;
  identity: { clientId: string; clientSecret: string };
  canvas: { accessToken: string; userId: number };
}

export interface SimulatorOptions {
  /** 0 (the default) picks any free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /**
   * Epoch ms; defaults to Date.now. The simulator's notion of time (plus the /__sim/clock
   * offset) for iat/exp, refresh windows, rate-limit buckets and the Date header.
   */
  now?: () => number;
  /** Identity Service `expires_in`, seconds; defaults to 3599. */
  identityExpiresIn?: number;
  /** Audiences the seeded token's developer key may request from /api/v1/jwts; defaults to DEFAULT_ALLOWED_AUDIENCES. */
  allowedAudiences?: readonly string[];
  /** Request body cap in bytes (413 beyond); defaults to 64 KiB. */
  maxBodyBytes?: number;
  /** Deployment switches in force from the start (and after every reset). */
  deployment?: Partial<SimDeployment>;
  /** LTI Advantage token endpoint: developer keys at start (more via POST /__sim/lti/keys), replay rule. */
  lti?: LtiTokenStateOptions;
}

export interface Introspection {
  active: boolean;
  kind?: 'ids' | 'canvas-jwt' | 'inst-access' | 'canvas-access-token' | 'lti-advantage';
  exp?: number;
  iat?: number;
}

export interface RunningSimulator {
  url: string;
  seeds(): SimulatorSeeds;
  stats(): Record<EndpointName, number>;
  /** Calls per single route. */
  routeStats(): Record<RouteName, number>;
  introspect(token: string): Promise<Introspection>;
  stop(): Promise<void>;
  /** In-process equivalents of the control API, for tests that hold the simulator object. */
  addFault(spec: FaultSpec): void;
  clearFaults(): void;
  setClockOffset(seconds: number): void;
  rotate(): SimulatorSeeds;
  reset(): void;
  /** Changes deployment switches until the next reset; returns the switches now in force. */
  setDeployment(changes: Partial<SimDeployment>): SimDeployment;
}

export const DEFAULT_ALLOWED_AUDIENCES: readonly string[] = [
  'instructure:sim-service',
  'instructure:sim-analytics',
];
