/**
 * @module
 * Leaving with the process that started us: a parent killed outright (SIGKILL) passes no signal
 * on, and a child left behind would keep its port.
 */

/**
 * Calls `onGone` once the process whose id is `parentPid` is no longer this process's parent.
 * Checked twice a second, on a timer that never keeps the process alive by itself.
 *
 * @example
 * whenParentGone(Number(process.env.ENGINE_PARENT_PID), () => stop('parent exited'));
 */
export function whenParentGone(parentPid: number, onGone: () => void): void {
  if (!Number.isInteger(parentPid) || parentPid <= 0) return;

  const watch = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(watch);
    onGone();
  }, 500);
  watch.unref();
}
