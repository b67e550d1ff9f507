export interface ExportProgressState {
  rows: number;
  total: number;
  startedAt: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Export progress on stderr (stdout may be the export itself): a bar redrawn in place on a terminal,
 * a plain line every few seconds otherwise (logs, CI, a pipe). The total is known before the first
 * row (the audit step counts the members), so the bar is exact.
 */
export function startExportProgress(state: ExportProgressState, stream: NodeJS.WriteStream = process.stderr, opts: { plainEveryMs?: number } = {}): { stop(): void } {
  const tty = Boolean(stream.isTTY);
  const render = () => {
    const elapsed = (Date.now() - state.startedAt) / 1000;
    const rate = elapsed > 0 ? state.rows / elapsed : 0;
    const frac = state.total ? Math.min(1, state.rows / state.total) : 1;
    const left = rate > 0 ? (state.total - state.rows) / rate : 0;
    const eta = state.rows >= state.total ? '—' : rate > 0 ? `${Math.round(left)}s` : '…';
    if (tty) {
      const width = 30;
      const full = Math.round(frac * width);
      stream.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${fmt(state.rows)}/${fmt(state.total)} rows  ${fmt(rate)} rows/s  ETA ${eta}   `);
    } else {
      stream.write(`export: ${fmt(state.rows)} of ${fmt(state.total)} rows (${(frac * 100).toFixed(1)}%), ${fmt(rate)} rows/s\n`);
    }
  };
  render();
  const timer = setInterval(render, tty ? 200 : (opts.plainEveryMs ?? 5000));
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      render();
      if (tty) stream.write('\n');
    },
  };
}
