/**
 * Real-time waits (the `delay` fault) that `stop()` can cut short, so a stopped simulator leaves
 * no timer holding the process open.
 */
export interface TimerSet {
  /** True when the full delay elapsed, false when cancelled. */
  sleep(ms: number): Promise<boolean>;
  cancelAll(): void;
}

export const makeTimerSet = (): TimerSet => {
  const pending = new Map<NodeJS.Timeout, (completed: boolean) => void>();
  return {
    sleep: (ms) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(timer);
          resolve(true);
        }, ms);
        pending.set(timer, resolve);
      }),
    cancelAll: () => {
      for (const [timer, resolve] of pending) {
        clearTimeout(timer);
        resolve(false);
      }
      pending.clear();
    },
  };
};
