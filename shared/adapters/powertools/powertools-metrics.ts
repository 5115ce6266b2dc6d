import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { MetricName, Metrics, MetricUnit } from '../../core/telemetry.ts';

/** The core Metrics port, buffered until `flush()` (the `flushMetrics` middleware calls it). */
export interface BufferedMetrics extends Metrics {
  flush(): void;
}

interface Group {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: Map<MetricName, { unit: MetricUnit; values: number[] }>;
}

// EMF allows at most 100 values per metric in one document, and Powertools publishes on its own the
// moment a metric reaches 100 (dropping the dimensions set for the rest): stay one below.
const MAX_VALUES_PER_DOCUMENT = 99;
const MAX_DIMENSIONS = 9;

/**
 * Metrics on Powertools (CloudWatch EMF). One EMF document has a single dimension set for all of
 * its metrics, while the core tags each data point with its own (credential, tier...), so points
 * are grouped by dimension set and each group is published as its own document at flush: one
 * stdout line per distinct set per invocation, instead of one per point.
 *
 * `add` never throws: a bad value (NaN) or a bad dimension is dropped rather than failing the
 * request that recorded it.
 */
export const makePowertoolsMetrics = (metrics: PowertoolsMetrics): BufferedMetrics => {
  let groups = new Map<string, Group>();
  return {
    add(name, value, unit, dimensions) {
      if (!Number.isFinite(value)) return;
      const dims: Record<string, string> = {};
      const names: string[] = [];
      if (dimensions !== undefined) {
        for (const k in dimensions) {
          const v = dimensions[k];
          if (k !== '' && typeof v === 'string' && v !== '' && names.length < MAX_DIMENSIONS) {
            dims[k] = v;
            names.push(k);
          }
        }
      }
      // Runs for every recorded point on the hot path (P2): a plain string key, no JSON or entries arrays.
      let key = '';
      for (const k of names.length > 1 ? names.sort() : names) key += `${k}\u0000${dims[k]}\u0001`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { dimensions: dims, values: new Map() };
        groups.set(key, group);
      }
      const series = group.values.get(name);
      if (series === undefined) group.values.set(name, { unit, values: [value] });
      else series.values.push(value);
    },
    flush() {
      const pending = groups;
      groups = new Map();
      for (const group of pending.values()) {
        const longest = Math.max(...[...group.values.values()].map((series) => series.values.length));
        for (let offset = 0; offset < longest; offset += MAX_VALUES_PER_DOCUMENT) {
          if (Object.keys(group.dimensions).length > 0) metrics.addDimensions(group.dimensions);
          for (const [name, series] of group.values) {
            for (const value of series.values.slice(offset, offset + MAX_VALUES_PER_DOCUMENT)) {
              metrics.addMetric(name, series.unit, value);
            }
          }
          // Publishing also clears the dimensions, so the next document starts from the defaults.
          metrics.publishStoredMetrics();
        }
      }
    },
  };
};
