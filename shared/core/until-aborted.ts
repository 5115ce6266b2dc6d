/**
 * Settles like `promise`, or rejects as soon as `signal` aborts, with `failure(signal)` (by default
 * the signal's own reason, the Clock.sleep convention). The work behind `promise` goes on for its
 * other waiters; only this caller stops waiting.
 */
export const untilAborted = <T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  failure: (signal: AbortSignal) => unknown = (s) => s.reason,
): Promise<T> => {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(failure(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(failure(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
};
