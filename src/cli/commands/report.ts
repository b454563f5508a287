import { writeReports, readRunFolder } from '../../report/write-reports.js';
import { EXIT } from '../exit-codes.js';

/**
 * `retryproof report RUN_DIR`: renders report.html and junit.xml again from
 * the run's report.json and ledger.sqlite, the same bytes the run wrote.
 */
export async function reportCommand(runDir: string, out: NodeJS.WritableStream): Promise<number> {
  const run = readRunFolder(runDir);
  const written = writeReports(run.result, run.dir);
  out.write(`wrote ${written.html}\nwrote ${written.junit}\n`);
  return EXIT.ok;
}
