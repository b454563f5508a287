import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Python targets (the zoo, fixtures) are spawned by name. Behind a version
// manager's shim (pyenv) each start runs a few bash scripts first: 1.3 s instead
// of 0.2 s on a busy 2-core machine. Put the interpreter the shim resolves to
// first on PATH for the tests, so the suite measures the harness, not the shim.
function realPythonFirst(): void {
  try {
    const executable = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).trim();
    if (executable) process.env.PATH = `${path.dirname(executable)}${path.delimiter}${process.env.PATH ?? ''}`;
  } catch {
    // No python3: the tests that need it say so.
  }
}
realPythonFirst();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // RETRYPROOF_CORE=1 (what .ci/run runs on the other Node versions): all but the
    // bug zoo, which drives the same Node APIs as the rest many times over.
    exclude: ['test/bench/**', 'node_modules/**', ...(process.env.RETRYPROOF_CORE === '1' ? ['test/zoo/**'] : [])],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and servers and mostly wait on them (timeouts, holds):
    // three workers keep two cores busy without starving timing-sensitive tests.
    pool: 'forks',
    maxWorkers: 3,
    // The JSON report is what .ci/run counts from.
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
  },
});
