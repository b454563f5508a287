import path from 'node:path';
import type { ScenarioResult } from '../runner/result.js';
import { writeFileAtomic } from './atomic-write.js';

/** Bumped whenever report.json changes shape in a way readers must know about. */
export const REPORT_SCHEMA_VERSION = 1;

export function reportJson(result: ScenarioResult, toolVersion: string): string {
  return `${JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, tool: { name: 'retryproof', version: toolVersion }, ...result }, null, 2)}\n`;
}

export function writeJsonReport(result: ScenarioResult, toolVersion: string): string {
  const file = path.join(result.runDir, 'report.json');
  writeFileAtomic(file, reportJson(result, toolVersion));
  return file;
}
