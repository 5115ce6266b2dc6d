export type FigureId = 'P1' | 'P2' | 'P3' | 'P4' | 'P5';

export interface FigureResult {
  readonly met: boolean;
  readonly missRatio?: number;
}

export interface FigurePlan {
  readonly title: string;
  /** Loaded only in the process that runs the figure. */
  readonly load: () => Promise<() => Promise<FigureResult>>;
  /** A figure still running after this long is stopped and reported as failed. */
  readonly timeoutMs: number;
}

/** The line prefix that carries a figure's JSON result from its process to the orchestrator. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** The quality bars of docs/DESIGN.md, in the order they run. */
export const FIGURE_PLAN: Readonly<Record<FigureId, FigurePlan>> = {
  P1: {
    title: '1,000 concurrent cold requests over 8 instances',
    load: async () => (await import('../p1-cold-fleet.ts')).runP1,
    timeoutMs: 120_000,
  },
  P2: {
    title: 'memory hit through the API handler',
    load: async () => (await import('../p2-memory-hit.ts')).runP2,
    timeoutMs: 240_000,
  },
  P3: {
    title: 'shared-tier hit',
    load: async () => (await import('../p3-shared-tier.ts')).runP3,
    timeoutMs: 180_000,
  },
  P4: {
    title: 'bundles and cold init',
    load: async () => (await import('../p4-bundles.ts')).runP4,
    // Includes building, packing and installing the two published packages (p4-packages.ts).
    timeoutMs: 480_000,
  },
  P5: {
    title: 'a simulated day with pre-warm',
    load: async () => (await import('../p5-simulated-day.ts')).runP5,
    timeoutMs: 300_000,
  },
};

export const FIGURE_IDS = Object.keys(FIGURE_PLAN) as FigureId[];

export const isFigureId = (value: unknown): value is FigureId =>
  typeof value === 'string' && (FIGURE_IDS as string[]).includes(value);
