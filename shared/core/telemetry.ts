export type MetricName =
  | 'TierHit'
  | 'Mint'
  | 'Refresh'
  | 'RefreshFailure'
  | 'RefreshFallback'
  | 'CredentialUnhealthy'
  | 'TokenAgeAtServe'
  | 'LeaseWait'
  | 'LeaseTakeover'
  | 'FencedWriteRejected'
  | 'Unavailable'
  | 'SecretReread'
  | 'PrewarmRefreshed'
  | 'PrewarmSkipped'
  | 'PrewarmFailed'
  | 'CanvasTokenRemainingLife'
  | 'CanvasTokenLeftBehind'
  | 'ClockOffset';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

/** Port: metrics. Values and dimensions are counts, durations and ids; never a token or secret. */
export interface Metrics {
  add(name: MetricName, value: number, unit: MetricUnit, dimensions?: Readonly<Record<string, string>>): void;
}

export type LogFields = Readonly<Record<string, unknown>>;

/** Port: structured logs. Fields carry ids and fingerprints only; never a token or secret. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const noopMetrics: Metrics = { add: () => {} };
export const noopLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
