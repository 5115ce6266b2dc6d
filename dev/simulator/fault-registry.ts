import type { FaultSpec } from './fault-spec.ts';

export interface FaultRegistry {
  add(spec: FaultSpec): void;
  clear(): void;
  /**
   * The fault to apply to a request known by `names` (its route name and its group, if any),
   * using up one of its `times`; the newest matching fault wins.
   */
  take(names: string | readonly string[]): FaultSpec | undefined;
}

export const makeFaultRegistry = (): FaultRegistry => {
  let faults: Array<{ spec: FaultSpec; left: number }> = [];
  return {
    add: (spec) => {
      faults.unshift({ spec, left: spec.times ?? Number.POSITIVE_INFINITY });
    },
    clear: () => {
      faults = [];
    },
    take: (given) => {
      const names: readonly string[] = typeof given === 'string' ? [given] : given;
      const match = faults.find(
        (fault) => fault.spec.endpoint === '*' || names.includes(fault.spec.endpoint),
      );
      if (!match) return undefined;
      match.left -= 1;
      if (match.left <= 0) faults = faults.filter((fault) => fault !== match);
      return match.spec;
    },
  };
};
