import type { LogFields, Logger, MetricName, Metrics, MetricUnit } from '../../shared/core/telemetry.ts';

export type LogLevel = keyof Logger;

export interface RecordedTelemetry {
  readonly logs: { readonly level: LogLevel; readonly message: string; readonly fields?: LogFields }[];
  readonly metrics: {
    readonly name: MetricName;
    readonly value: number;
    readonly unit: MetricUnit;
    readonly dimensions?: Readonly<Record<string, string>>;
  }[];
}

/**
 * Logger and Metrics ports that only write down what the core asked for, so a benchmark can replay
 * exactly those calls (whatever the core logs and records today) against the production adapters.
 */
export const makeRecordingTelemetry = (): {
  readonly logger: Logger;
  readonly metrics: Metrics & { flush(): void };
  readonly recorded: RecordedTelemetry;
  clear(): void;
} => {
  const recorded: RecordedTelemetry = { logs: [], metrics: [] };
  const log =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      recorded.logs.push({ level, message, ...(fields ? { fields } : {}) });
    };
  return {
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    metrics: {
      add: (name, value, unit, dimensions) => {
        recorded.metrics.push({ name, value, unit, ...(dimensions ? { dimensions } : {}) });
      },
      flush: () => {},
    },
    recorded,
    clear: () => {
      recorded.logs.length = 0;
      recorded.metrics.length = 0;
    },
  };
};
