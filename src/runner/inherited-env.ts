import { HARNESS_MARKER } from '../targets/process-group.js';

/**
 * The harness's own environment, minus what would make a target behave
 * differently under test than in real use (a Node test runner's markers).
 */
export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(VITEST|NODE_OPTIONS$|TEST$)/.test(name)) continue;
    env[name] = value;
  }
  // So that a child that leaves the target's process group can still be found and killed.
  const [markerName, markerValue] = HARNESS_MARKER.split('=') as [string, string];
  env[markerName] = markerValue;
  return env;
}
