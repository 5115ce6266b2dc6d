/**
 * Calls `stop` once this process's parent goes away. `npm run` (npm 11) exits on SIGTERM without
 * passing the signal on, which would leave the broker or the simulator running as an orphan with
 * its port and files held; an orphan is re-parented, so a changed parent pid means "stop now".
 */
export const onParentExit = (stop: () => void, intervalMs = 500): void => {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, intervalMs);
  // Never the reason the process stays alive.
  timer.unref();
};
