/**
 * What Lambda does to a process once the handler has answered: freezes it. Work still in flight
 * never sees its result (the instance may never be thawed), and nothing new starts. This harness
 * models that at the broker's seams: wrap the store, the upstream clients, the cipher and the
 * secret source with `wrap`, call `freeze()` as soon as the handler resolves, then inspect the
 * table with an unwrapped store. A call in flight at the freeze goes on at its server (a write may
 * land) but its caller never continues; a call started while frozen is recorded and never runs
 * until `thaw()`.
 */
export interface Freezer {
  wrap<T extends object>(name: string, target: T): T;
  freeze(): void;
  /** Lets held results and held calls go on, as a later invocation on a thawed instance would. */
  thaw(): void;
  /** `name.method` of every call in flight when the latest freeze came. */
  readonly runningAtFreeze: string[];
  /** `name.method` of every call started since the latest freeze. */
  readonly startedWhileFrozen: string[];
}

export const makeFreezer = (): Freezer => {
  let frozen = false;
  let sequence = 0;
  const inflight = new Map<number, string>();
  const held: (() => void)[] = [];
  const runningAtFreeze: string[] = [];
  const startedWhileFrozen: string[] = [];
  const whenThawed = (continuation: () => void) => {
    if (frozen) held.push(continuation);
    else continuation();
  };

  const wrap = <T extends object>(name: string, target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        const label = `${name}.${String(property)}`;
        return (...args: unknown[]) => {
          const run = (): unknown => {
            const result: unknown = value.apply(object, args);
            if (!(result instanceof Promise)) return result;
            const id = sequence++;
            inflight.set(id, label);
            return new Promise((resolve, reject) => {
              result.then(
                (settled: unknown) => {
                  inflight.delete(id);
                  whenThawed(() => resolve(settled));
                },
                (error: unknown) => {
                  inflight.delete(id);
                  whenThawed(() => reject(error));
                },
              );
            });
          };
          if (!frozen) return run();
          startedWhileFrozen.push(label);
          return new Promise((resolve, reject) => {
            held.push(() => {
              try {
                Promise.resolve(run()).then(resolve, reject);
              } catch (error) {
                reject(error);
              }
            });
          });
        };
      },
    });

  return {
    wrap,
    freeze: () => {
      frozen = true;
      // Each freeze reports on the answer just given.
      runningAtFreeze.splice(0, runningAtFreeze.length, ...inflight.values());
      startedWhileFrozen.splice(0);
    },
    thaw: () => {
      frozen = false;
      for (const continuation of held.splice(0)) continuation();
    },
    runningAtFreeze,
    startedWhileFrozen,
  };
};
