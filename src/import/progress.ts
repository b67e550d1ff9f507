export interface ProgressState {
  rowsRead: number;
  bytesRead: number;
  totalBytes: number;
  startedAt: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function eta(s: ProgressState, elapsed: number): string {
  if (!s.bytesRead || s.bytesRead >= s.totalBytes) return '—';
  const left = (elapsed * (s.totalBytes - s.bytesRead)) / s.bytesRead;
  const m = Math.floor(left / 60);
  return m ? `${m}m${String(Math.round(left % 60)).padStart(2, '0')}s` : `${Math.round(left)}s`;
}

/**
 * Progress on stderr: a bar redrawn in place on a terminal, plain lines every few seconds otherwise
 * (logs and CI). ETA from bytes read against the file size, which stays right for uneven row sizes.
 */
export function startProgress(state: ProgressState, stream: NodeJS.WriteStream = process.stderr, opts: { plainEveryMs?: number } = {}): { stop(): void } {
  const tty = Boolean(stream.isTTY);
  const render = () => {
    const elapsed = (Date.now() - state.startedAt) / 1000;
    const rate = elapsed > 0 ? state.rowsRead / elapsed : 0;
    const frac = state.totalBytes ? Math.min(1, state.bytesRead / state.totalBytes) : 0;
    if (tty) {
      const width = 30;
      const full = Math.round(frac * width);
      stream.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${fmt(state.rowsRead)} rows  ${fmt(rate)} rows/s  ETA ${eta(state, elapsed)}   `);
    } else {
      stream.write(`import: ${fmt(state.rowsRead)} rows read (${(frac * 100).toFixed(1)}% of the file), ${fmt(rate)} rows/s, ETA ${eta(state, elapsed)}\n`);
    }
  };
  const timer = setInterval(render, tty ? 250 : (opts.plainEveryMs ?? 5000));
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      render();
      if (tty) stream.write('\n');
    },
  };
}
