export interface TrafficVariant {
  readonly name: string;
  readonly credentialId: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Relative share of requests. */
  readonly weight: number;
}

export interface TrafficRequest {
  readonly variant: TrafficVariant;
  readonly instance: number;
  readonly minTtlSeconds: number;
}

/** Requests that arrive together (a burst), at `atMs` from the start of the day. */
export interface TrafficEvent {
  readonly atMs: number;
  readonly requests: readonly TrafficRequest[];
}

export interface DayTrafficOptions {
  readonly variants: readonly TrafficVariant[];
  readonly instances: number;
  readonly random: () => number;
  /** Working hours (local, 0-24) with bursts; outside them only a trickle. */
  readonly dayStartHour?: number;
  readonly dayEndHour?: number;
  /** The most a caller asks for, in seconds ("a few minutes"). */
  readonly maxMinTtlSeconds?: number;
}

const MINUTE = 60_000;

/**
 * One day of callers, minute by minute: during working hours a steady few requests a minute plus
 * random bursts of 5-40 concurrent requests; at night an occasional single request, so every variant
 * stays in use all day (the floor counts 24 tokens per variant in use). Half the callers ask for no
 * minimum life, the others for up to `maxMinTtlSeconds`.
 */
export const dayTraffic = (options: DayTrafficOptions): TrafficEvent[] => {
  const { variants, instances, random } = options;
  const dayStart = options.dayStartHour ?? 7;
  const dayEnd = options.dayEndHour ?? 19;
  const maxMinTtl = options.maxMinTtlSeconds ?? 240;
  const totalWeight = variants.reduce((sum, v) => sum + v.weight, 0);
  const pickVariant = (): TrafficVariant => {
    let r = random() * totalWeight;
    for (const variant of variants) {
      r -= variant.weight;
      if (r < 0) return variant;
    }
    return variants[variants.length - 1]!;
  };
  const request = (): TrafficRequest => ({
    variant: pickVariant(),
    instance: Math.floor(random() * instances),
    minTtlSeconds: random() < 0.5 ? 0 : 1 + Math.floor(random() * maxMinTtl),
  });
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

  const events: TrafficEvent[] = [];
  for (let minute = 0; minute < 24 * 60; minute++) {
    const hour = minute / 60;
    const start = minute * MINUTE;
    const at = () => start + Math.floor(random() * MINUTE);
    if (hour >= dayStart && hour < dayEnd) {
      for (let i = int(1, 4); i > 0; i--) events.push({ atMs: at(), requests: [request()] });
      if (random() < 0.3) events.push({ atMs: at(), requests: Array.from({ length: int(5, 40) }, request) });
    } else if (random() < 0.08) {
      events.push({ atMs: at(), requests: [request()] });
    }
  }
  return events.sort((a, b) => a.atMs - b.atMs);
};
