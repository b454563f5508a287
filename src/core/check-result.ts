import type { CheckName } from './check-names.js';

/** What a check found in one case: plain data, rendered by report/. */
export interface Evidence {
  invocations?: number[];
  requests?: number[];
  effects?: number[];
}

export interface CheckResult {
  check: CheckName;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  message: string;
  evidence?: Evidence;
}
