/** Retry delay after `failures` counted failures: base, 2 x base, 4 x base … capped at 6 minutes. */
export const MAX_BACKOFF_MS = 6 * 60 * 1000;

export function retryDelayMs(failures: number, backoffSeconds: number): number {
  if (failures < 1) return 0;
  return Math.min(MAX_BACKOFF_MS, backoffSeconds * 1000 * 2 ** Math.min(failures - 1, 30));
}
