import { createLogUpdate } from 'log-update';

export interface Progress {
  /** `total` undefined when the number of cases is not known ahead. */
  update(done: number, total: number | undefined, failures: number): void;
  done(): void;
}

/**
 * Progress of a long run: a live line on a terminal (log-update redraws it in
 * place), plain periodic lines elsewhere (CI logs keep every line, so at most
 * one every few seconds), nothing with --quiet.
 */
export function createProgress(label: string, options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => undefined, done: () => undefined };
  const started = performance.now();
  const line = (done: number, total: number | undefined, failures: number): string => {
    const elapsed = (performance.now() - started) / 1000;
    const eta = done > 0 && total !== undefined ? ((total - done) * elapsed) / done : Number.NaN;
    const count = total === undefined ? `${done} cases` : `${done}/${total} cases`;
    return `${label}: ${count}, ${failures} failed, ${elapsed.toFixed(0)} s elapsed${Number.isFinite(eta) && done < total! ? `, ~${eta.toFixed(0)} s left` : ''}`;
  };
  if (stream.isTTY) {
    const render = createLogUpdate(stream);
    return {
      update: (done, total, failures) => render(line(done, total, failures)),
      done: () => render.done(),
    };
  }
  let last = 0;
  let latest = '';
  return {
    update(done, total, failures) {
      latest = line(done, total, failures);
      const now = performance.now();
      if (now - last >= PLAIN_INTERVAL_MS || done === total) {
        last = now;
        stream.write(`${latest}\n`);
      }
    },
    done: () => undefined,
  };
}

const PLAIN_INTERVAL_MS = 5_000;
