import { randomBytes } from 'node:crypto';
import type { LogFields, Logger, MetricName, Metrics, MetricUnit } from '../../shared/core/telemetry.ts';

/**
 * S1 canaries: random secret and token values generated at test time, fed to the broker as real
 * secrets and upstream tokens, and then searched for in everything the test captured (log lines,
 * metric payloads, error bodies). Every canary is also registered with the suite-wide leak scan
 * (test/setup/leak-scan.ts), which watches the worker's stdout and stderr.
 */

declare global {
  var __ccbRegisterCanary: ((value: string) => void) | undefined;
}

export type CanaryKind = 'secret' | 'token' | 'signature' | 'session';

/** A fresh random value, distinctive enough that finding it anywhere can only be a leak. */
export const makeCanary = (kind: CanaryKind = 'secret'): string => {
  const value = `cnry${kind}${randomBytes(18).toString('hex')}`;
  registerCanary(value);
  return value;
};

/** Registers a value (for example a token a test received) with the suite-wide scan too. */
export const registerCanary = (value: string): void => {
  globalThis.__ccbRegisterCanary?.(value);
};

/**
 * The forms a leaked value could take besides itself: base64 and base64url (a Basic header, a
 * JWE payload), hex, URI-encoding, and a 16-character middle slice (a truncated log field).
 */
const leakForms = (value: string): string[] => {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [
    value,
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(value),
  ];
  if (value.length >= 24) {
    const middle = Math.floor(value.length / 2);
    forms.push(value.slice(middle - 8, middle + 8));
  }
  return forms;
};

export interface CanaryLeak {
  readonly canary: string;
  /** Where it was found: the index of the haystack and which form matched. */
  readonly where: number;
  readonly form: string;
}

/** Every canary (in any leak form) found in the haystacks; an empty list means clean. */
export const findCanaryLeaks = (haystacks: Iterable<string>, canaries: Iterable<string>): CanaryLeak[] => {
  const texts = [...haystacks];
  const leaks: CanaryLeak[] = [];
  for (const canary of canaries) {
    const forms = leakForms(canary);
    texts.forEach((text, where) => {
      const form = forms.find((f) => text.includes(f));
      // Report the form, never the text or the canary itself, so a failing test prints no secret.
      if (form !== undefined)
        leaks.push({ canary: `${canary.slice(0, 10)}...`, where, form: formName(forms, form) });
    });
  }
  return leaks;
};

const FORM_NAMES = ['verbatim', 'base64', 'base64url', 'hex', 'uri-encoded', 'slice'];
const formName = (forms: string[], form: string): string => FORM_NAMES[forms.indexOf(form)] ?? 'unknown';

export interface CapturedLogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: LogFields;
}

/** A core Logger that keeps every entry, and renders each as the JSON line production would print. */
export interface CapturingLogger extends Logger {
  readonly entries: CapturedLogEntry[];
  lines(): string[];
}

const jsonLine = (value: unknown): string => {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) {
      // Everything an error could carry into a real log: message, stack, cause, own properties.
      return { ...v, name: v.name, message: v.message, stack: v.stack, cause: v.cause };
    }
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[cycle]';
      seen.add(v);
    }
    return v;
  });
};

export const makeCapturingLogger = (): CapturingLogger => {
  const entries: CapturedLogEntry[] = [];
  const at =
    (level: CapturedLogEntry['level']) =>
    (message: string, fields?: LogFields): void => {
      entries.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  return {
    entries,
    lines: () => entries.map(jsonLine),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
};

export interface CapturedMetric {
  readonly name: MetricName;
  readonly value: number;
  readonly unit: MetricUnit;
  readonly dimensions?: Readonly<Record<string, string>>;
}

export interface CapturingMetrics extends Metrics {
  readonly points: CapturedMetric[];
  payloads(): string[];
}

export const makeCapturingMetrics = (): CapturingMetrics => {
  const points: CapturedMetric[] = [];
  return {
    points,
    payloads: () => points.map((p) => JSON.stringify(p)),
    add: (name, value, unit, dimensions) => {
      points.push(dimensions === undefined ? { name, value, unit } : { name, value, unit, dimensions });
    },
  };
};
