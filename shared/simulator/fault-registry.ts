import type { EndpointName } from './endpoint-name.ts';
import type { FaultSpec } from './fault-spec.ts';

export interface FaultRegistry {
  add(spec: FaultSpec): void;
  clear(): void;
  /** The fault to apply to this request, using up one of its `times`; the newest matching fault wins. */
  take(endpoint: EndpointName): FaultSpec | undefined;
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
    take: (endpoint) => {
      const match = faults.find((fault) => fault.spec.endpoint === '*' || fault.spec.endpoint === endpoint);
      if (!match) return undefined;
      match.left -= 1;
      if (match.left <= 0) faults = faults.filter((fault) => fault !== match);
      return match.spec;
    },
  };
};
