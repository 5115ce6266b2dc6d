import type { P1Result } from '../p1-cold-fleet.ts';
import type { P2Result } from '../p2-memory-hit.ts';
import type { P3Result } from '../p3-shared-tier.ts';
import type { P4Result } from '../p4-bundles.ts';
import type { P5Result } from '../p5-simulated-day.ts';
import type { FigureId } from './figure-plan.ts';

export interface Results {
  P1?: P1Result;
  P2?: P2Result;
  P3?: P3Result;
  P4?: P4Result;
  P5?: P5Result;
}

export interface Row {
  readonly figure: string;
  readonly measure: string;
  readonly value: string;
  readonly target: string;
  /** true/false for a bar, undefined for context figures. */
  readonly met?: boolean;
}

const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const int = (value: number): string => value.toLocaleString('en-US');

/** One line per figure of each bar, plus the context figures beside them (peer, latencies, parts). */
export const tableRows = (results: Results, failures: Partial<Record<FigureId, string>>): Row[] => {
  const rows: Row[] = [];
  const { P1, P2, P3, P4, P5 } = results;
  if (P1) {
    const load = `${int(P1.requests)} req / ${P1.instances} inst`;
    rows.push({
      figure: 'P1',
      measure: `upstream mints per cold burst, most of ${P1.rounds} (${load})`,
      value: int(P1.upstreamMints),
      target: '= 1',
      met: P1.upstreamMints === 1,
    });
    rows.push({
      figure: 'P1',
      measure: 'failed requests',
      value: int(P1.failedRequests),
      target: '= 0',
      met: P1.failedRequests === 0,
    });
    const fleet = P1.fleetLike;
    rows.push({
      figure: 'P1 sockets',
      measure: `dynalite over sockets, simulator at its own speed: p50 / p99 (median of ${P1.rounds} bursts)`,
      value: `${ms(P1.p50Ms)} / ${ms(P1.p99Ms)}`,
      target: '',
    });
    rows.push({
      figure: 'P1 sockets',
      measure: 'p99 broker / peer (same run; the table server and one shared event loop, see README)',
      value: `${P1.p99Ratio.toFixed(2)}×`,
      target: '',
    });
    rows.push({
      figure: 'P1 sockets',
      measure: 'table reads per waiting instance per mint',
      value: P1.readsPerWaitingInstance.toFixed(2),
      target: '≤ 3',
      met: P1.readsPerWaitingInstance <= P1.target.readsPerWaitingInstance,
    });
    rows.push({
      figure: 'P1 peer',
      measure: `upstream mints per burst (${P1.instances} self-caching clients) / failed`,
      value: `${int(P1.peerMints)} / ${int(P1.peerFailedRequests)}`,
      target: '',
    });
    rows.push({
      figure: 'P1 peer',
      measure: 'latency p50 / p99, simulator at its own speed',
      value: `${ms(P1.peerP50Ms)} / ${ms(P1.peerP99Ms)}`,
      target: '',
    });
    rows.push({
      figure: 'P1 fleet',
      measure: `table modeled on DynamoDB (${fleet.latencyMs.minMs}-${fleet.latencyMs.maxMs} ms, parallel), logins ${fleet.loginMs} ms: mints / failed`,
      value: `${int(fleet.upstreamMints)} / ${int(fleet.failedRequests)}`,
      target: '1 / 0',
      met: fleet.upstreamMints === 1 && fleet.failedRequests === 0,
    });
    rows.push({
      figure: 'P1 fleet',
      measure: `latency p50 / p99 (median of ${P1.rounds} bursts); peer against the same upstream`,
      value: `${ms(fleet.p50Ms)} / ${ms(fleet.p99Ms)}; peer ${ms(fleet.peerP50Ms)} / ${ms(fleet.peerP99Ms)}`,
      target: '',
    });
    rows.push({
      figure: 'P1 fleet',
      measure: 'p99 broker / peer (same run)',
      value: `${fleet.p99Ratio.toFixed(2)}×`,
      target: '≤ 2×',
      met: fleet.p99Ratio <= P1.target.p99Ratio,
    });
    rows.push({
      figure: 'P1 fleet',
      measure: 'table reads per waiting instance per mint',
      value: fleet.readsPerWaitingInstance.toFixed(2),
      target: '≤ 3',
      met: fleet.readsPerWaitingInstance <= P1.target.readsPerWaitingInstance,
    });
    if (P1.lti) {
      const lti = P1.lti;
      rows.push({
        figure: 'P1 lti',
        measure: `lti-advantage burst: mints / failed, ${load}`,
        value: `${int(lti.upstreamMints)} / ${int(lti.failedRequests)}`,
        target: '1 / 0',
        met: lti.met,
      });
      rows.push({
        figure: 'P1 lti',
        measure: 'latency p50 / p99',
        value: `${ms(lti.p50Ms)} / ${ms(lti.p99Ms)}`,
        target: '',
      });
      rows.push({
        figure: 'P1 lti peer',
        measure: `mints / failed (${P1.instances} tool processes minting their own)`,
        value: `${int(lti.peerMints)} / ${int(lti.peerFailedRequests)}`,
        target: '',
      });
      rows.push({
        figure: 'P1 lti peer',
        measure: 'latency p50 / p99',
        value: `${ms(lti.peerP50Ms)} / ${ms(lti.peerP99Ms)}`,
        target: '',
      });
    }
  }
  if (P2) {
    rows.push({
      figure: 'P2',
      measure: 'memory hit: full token-api / bare middy + same Powertools telemetry (median of round ratios)',
      value: `${P2.ratio.median.toFixed(2)}× (rounds ${P2.ratio.min.toFixed(2)}-${P2.ratio.max.toFixed(2)})`,
      target: `≤ ${P2.target.ratio}×`,
      met: P2.met,
    });
    rows.push({
      figure: 'P2',
      measure: 'full / bare middy / bare core (median)',
      value: `${us(P2.ratio.fullMedianNs)} / ${us(P2.ratio.bareMiddyMedianNs)} / ${int(P2.ratio.bareCoreNsPerOp)} ns`,
      target: '',
    });
    rows.push({
      figure: 'P2',
      measure: 'memory hit, full handler: median (information)',
      value: us(P2.medianNs),
      target: '',
    });
    rows.push({
      figure: 'P2',
      measure: 'p99 / throughput',
      value: `${us(P2.p99Ns)} / ${int(P2.opsPerSec)} ops/s`,
      target: '',
    });
    const { parts } = P2;
    rows.push({
      figure: 'P2',
      measure: 'parts: handler w/o middy / core+Powertools / bare core',
      value: `${us(parts.handlerOnly.medianNs)} / ${us(parts.coreWithPowertools.medianNs)} / ${us(parts.coreWithoutTelemetry.medianNs)}`,
      target: '',
    });
    rows.push({
      figure: 'P2',
      measure: 'parts: log lines / metrics + EMF flush',
      value: `${us(parts.logLines.medianNs)} / ${us(parts.metricsAndFlush.medianNs)}`,
      target: '',
    });
  }
  if (P3) {
    rows.push({
      figure: 'P3',
      measure: 'table reads per memory miss',
      value: int(P3.tableReads),
      target: '= 1',
      met: P3.tableReads === 1,
    });
    rows.push({
      figure: 'P3',
      measure: 'overhead over the read (median)',
      value: ms(P3.overheadMs),
      target: '≤ 1 ms',
      met: P3.overheadMs <= P3.target.overheadMs,
    });
    rows.push({
      figure: 'P3',
      measure: 'read / whole request (median)',
      value: `${ms(P3.readMedianMs)} / ${ms(P3.totalMedianMs)}`,
      target: '',
    });
  }
  if (P4) {
    rows.push({
      figure: 'P4',
      measure: 'token-api bundle loaded at init (minified)',
      value: kib(P4.tokenApiBundleBytes),
      target: '≤ 300 KiB',
      met: P4.tokenApiBundleBytes <= P4.target.tokenApiBundleBytes,
    });
    const api = P4.bundles.tokenApi;
    if (api) {
      rows.push({
        figure: 'P4',
        measure: 'token-api index.mjs / + lazy chunks = total',
        value: `${kib(api.entryChunkBytes)} / +${kib(api.lazyBytes)} = ${kib(api.totalBytes)}`,
        target: '',
      });
    }
    // An init that threw is not a cold start: its time says nothing, and the row says so.
    const failedInits = Object.entries(P4.functions).filter(([, f]) => f.initErrors.length > 0);
    for (const [name, f] of failedInits) {
      rows.push({
        figure: 'P4',
        measure: `${name}: init failed in the benchmark's Lambda-like environment`,
        value: f.initErrors.join(', '),
        target: 'none',
        met: false,
      });
    }
    rows.push({
      figure: 'P4',
      measure: 'token-api init bundled / unbundled',
      value: `${ms(P4.initMs)} / ${ms(P4.unbundledInitMs)} = ${P4.initRatio.toFixed(2)}`,
      target: '≤ 0.25',
      met: P4.initRatio <= P4.target.initRatio && (P4.functions.tokenApi?.initErrors.length ?? 0) === 0,
    });
    const mapped = P4.withSourceMaps;
    rows.push({
      figure: 'P4',
      measure: 'same, with --enable-source-maps (not deployed)',
      value: `${ms(mapped.initMs)} / ${ms(mapped.unbundledInitMs)} = ${mapped.initRatio.toFixed(2)}`,
      target: '',
    });
    rows.push({ figure: 'P4', measure: 'same, on CPU time', value: P4.initCpuRatio.toFixed(2), target: '' });
    for (const [name, f] of Object.entries(P4.functions)) {
      if (name === 'tokenApi') continue;
      rows.push({
        figure: 'P4',
        measure: `${name}: bundle at init (total), init bundled / unbundled`,
        value: `${kib(f.bundleBytes)} (${kib(f.totalBytes)}), ${ms(f.initMs)} / ${ms(f.unbundledInitMs)}`,
        target: '',
      });
    }
    for (const pkg of P4.packages ? [P4.packages.client, P4.packages.cdk] : []) {
      rows.push({
        figure: 'P4 pkg',
        measure: `${pkg.name}: packed / installed with deps (packages) / cold import`,
        value: `${kib(pkg.packedBytes)} / ${kib(pkg.installedBytes)} (${pkg.installedPackages}) / ${ms(pkg.coldImportMs)}`,
        target: '',
      });
    }
  }
  if (P5) {
    rows.push({
      figure: 'P5',
      measure: `upstream mints in ${P5.simulatedHours} h / floor`,
      value: `${int(P5.mints)} / ${int(P5.floor)} = ${P5.ratio.toFixed(3)}×`,
      target: '≤ 1.1×',
      met: P5.ratio <= P5.target.maxRatio,
    });
    rows.push({
      figure: 'P5',
      measure: 'steady state: tokens per variant-hour',
      value: `${P5.steadyStateRatio.toFixed(3)}×`,
      target: '',
    });
    rows.push({
      figure: 'P5',
      measure: 'failed / expired served / under minTtl',
      value: `${P5.failedRequests} / ${P5.expiredServed} / ${P5.underMinTtlServed} of ${int(P5.requests)}`,
      target: '0 / 0 / 0',
      met: P5.failedRequests + P5.expiredServed + P5.underMinTtlServed === 0,
    });
    if (P5.lti) {
      const lti = P5.lti;
      rows.push({
        figure: 'P5 lti',
        measure: `lti-advantage day (${lti.variantsInUse} scope sets): mints / floor`,
        value: `${int(lti.mints)} / ${int(lti.floor)} = ${lti.ratio.toFixed(3)}×`,
        target: '≤ 1.1×',
        met: lti.ratio <= lti.target.maxRatio,
      });
      rows.push({
        figure: 'P5 lti',
        measure: 'failed / expired served / under minTtl',
        value: `${lti.failedRequests} / ${lti.expiredServed} / ${lti.underMinTtlServed} of ${int(lti.requests)}`,
        target: '0 / 0 / 0',
        met: lti.failedRequests + lti.expiredServed + lti.underMinTtlServed === 0,
      });
    }
  }
  for (const [figure, error] of Object.entries(failures)) {
    rows.push({ figure, measure: 'did not complete', value: error, target: '', met: false });
  }
  return rows;
};

export const formatTable = (rows: readonly Row[]): string => {
  const header: Row = { figure: 'figure', measure: 'measure', value: 'value', target: 'target' };
  const cells = (r: Row, isHeader = false) => [
    r.figure,
    r.measure,
    r.value,
    r.target,
    isHeader ? 'met' : r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ];
  const all = [cells(header, true), ...rows.map((r) => cells(r))];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(all[0]!), rule, ...all.slice(1).map(line)].join('\n');
};
