import { startExportProgress } from '../../src/exports/progress';

/** A stderr stand-in that records what is written, as a terminal or not. */
function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, s: { isTTY, write: (t: string) => (written.push(t), true) } as unknown as NodeJS.WriteStream };
}

it('draws a bar redrawn in place on a terminal, ending on a new line', () => {
  const { written, s } = stream(true);
  const state = { rows: 0, total: 200, startedAt: Date.now() };
  const p = startExportProgress(state, s);
  state.rows = 100;
  p.stop();
  expect(written[0]).toMatch(/^\r\[\.{30}\]\s+0%\s+0\/200 rows/);
  expect(written.at(-2)).toMatch(/^\r\[#{15}\.{15}\]\s+50%\s+100\/200 rows/);
  expect(written.at(-1)).toBe('\n');
});

it('writes plain lines when stderr is not a terminal', () => {
  const { written, s } = stream(false);
  const state = { rows: 0, total: 4, startedAt: Date.now() };
  const p = startExportProgress(state, s);
  state.rows = 4;
  p.stop();
  expect(written).toEqual([expect.stringMatching(/^export: 0 of 4 rows \(0\.0%\)/), expect.stringMatching(/^export: 4 of 4 rows \(100\.0%\)/)]);
  expect(written.join('')).not.toMatch(/\r/);
});
