import type { Logger } from '../logger';

/**
 * Runs `round` again and again: at once while it reports a full batch (there is more to do), else
 * after `pollMs`; a failed round is logged and retried after `pollMs`. `stop()` lets the round in
 * flight finish and schedules nothing more. Shared by the webhook dispatcher and the trigger matcher.
 */
export function pollLoop(round: () => Promise<boolean>, opts: { pollMs: number; logger: Logger; what: string }): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const later = () => {
    if (!stopped) timer = setTimeout(loop, opts.pollMs);
  };
  const loop = () => {
    if (stopped) return;
    running = round()
      .then((more) => (more ? setImmediate(loop) : later()))
      .catch((err) => {
        opts.logger.warn({ err }, `${opts.what} round failed`);
        later();
      });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
