// Reads a V8 .cpuprofile (node --cpu-prof) and sums the time spent under
// chosen frames (inclusive: a frame counts once per sample however deep it
// recurs), so the report can say where an upstream request's time goes.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function loadProfile(dir) {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
}

/**
 * groups: [{ name, match: (callFrame) => boolean }]. Returns for each group
 * the share of all non-idle samples spent at or under a matching frame.
 */
export function inclusiveShares(profile, groups) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const timeOf = new Map();
  profile.samples.forEach((id, i) => timeOf.set(id, (timeOf.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = new Map(groups.map((group) => [group.name, 0]));
  let busy = 0;
  for (const [id, time] of timeOf) {
    const leaf = byId.get(id);
    if (leaf.callFrame.functionName === '(idle)') continue;
    busy += time;
    const hit = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur).callFrame;
      for (const group of groups) if (!hit.has(group.name) && group.match(frame)) hit.add(group.name);
    }
    for (const name of hit) totals.set(name, totals.get(name) + time);
  }
  return groups.map((group) => ({ name: group.name, share: busy === 0 ? 0 : totals.get(group.name) / busy }));
}
