import type { CaseTimeline, InvocationDetail, TimelineStep } from '../timeline.js';
import { html, raw, type Raw } from './escape.js';

/**
 * A case's timeline as a sequence diagram on a CSS grid: one column per lane
 * (caller, each invocation, each upstream), one row per step in time order,
 * arrows between lanes, commits inside the upstream's lane. The duplicate
 * effects carry a visible marker (and data-testid="duplicate-marker").
 */
export function timelineView(timeline: CaseTimeline): Raw {
  const column = new Map(timeline.lanes.map((lane, index) => [lane.id, index + 2]));
  const rows = timeline.steps.length;
  const cells: Raw[] = [];
  cells.push(html`<div class="time-head" style="grid-row:1;grid-column:1">ms</div>`);
  timeline.lanes.forEach((lane, index) => {
    cells.push(html`<div class="lane-head ${lane.kind}" style="grid-row:1;grid-column:${index + 2}" data-lane="${lane.id}"><div class="title">${lane.title}</div><div class="subtitle">${lane.subtitle}</div></div>`);
    if (rows > 0) cells.push(html`<div class="lifeline" style="grid-row:2 / span ${rows};grid-column:${index + 2}"></div>`);
  });
  // An invocation is alive from its call to its exit: an activation bar on its lifeline.
  for (const invocation of timeline.invocations) {
    const start = timeline.steps.findIndex((step) => step.kind === 'call' && step.invocationId === invocation.id);
    const end = timeline.steps.findIndex((step) => step.kind === 'exit' && step.invocationId === invocation.id);
    if (start < 0 || end < 0) continue;
    const killed = invocation.outcome === 'unknown' ? ' killed' : '';
    cells.push(html`<div class="activation${killed}" style="grid-row:${start + 2} / ${end + 3};grid-column:${column.get(`invocation:${invocation.id}`)!}"></div>`);
  }
  timeline.steps.forEach((step, index) => {
    const row = index + 2;
    cells.push(html`<div class="t" style="grid-row:${row};grid-column:1">${step.atMs}</div>`);
    cells.push(stepCell(step, row, column));
  });
  const template = `grid-template-columns: 3.6rem repeat(${timeline.lanes.length}, minmax(150px, 1fr))`;
  return html`<div class="timeline-wrap"><div class="timeline" style="${template}" data-testid="timeline" data-case="${timeline.caseId}">${cells}</div></div>
${legend()}`;
}

function stepCell(step: TimelineStep, row: number, column: ReadonlyMap<string, number>): Raw {
  const from = column.get(step.from) ?? 2;
  const to = column.get(step.to) ?? 2;
  if (step.kind === 'commit') {
    const marker = step.duplicate ? html`<span class="dup-marker" data-testid="duplicate-marker" title="no-duplicate-effects named this effect: the operation committed more than its clean run">duplicate</span>` : '';
    return html`<div class="commit${step.duplicate ? ' duplicate' : ''}" style="grid-row:${row};grid-column:${from}" data-testid="effect" data-effect="${step.effectId}" data-duplicate="${String(step.duplicate)}">◆ ${step.text}${marker}</div>`;
  }
  const left = Math.min(from, to);
  const right = Math.max(from, to);
  const direction = to >= from ? 'right' : 'left';
  const lost = step.kind === 'answer' && step.delivery !== 'response' ? ' lost' : '';
  const fault = step.kind === 'request' && step.fault ? html`<span class="fault" data-testid="fault">${step.fault}</span>` : '';
  const data =
    step.kind === 'request' || step.kind === 'answer'
      ? raw(` data-request="${step.requestId}"`)
      : raw(` data-invocation="${step.invocationId}"`);
  return html`<div class="msg ${direction}${lost} tone-${step.tone}" style="grid-row:${row};grid-column:${left} / ${right + 1};--span:${right - left + 1}" data-kind="${step.kind}"${data}><span class="label">${step.text}${fault}</span></div>`;
}

function legend(): Raw {
  return html`<div class="legend">
<span><span class="swatch tone-neutral"></span>call or request</span>
<span><span class="swatch tone-ok"></span>success</span>
<span><span class="swatch tone-failure"></span>error answer or failed exit</span>
<span><span class="swatch tone-fault"></span>faulted (✕: no answer reached the target)</span>
<span><span class="swatch tone-unknown"></span>unknown outcome (killed)</span>
<span><span class="swatch tone-replayed"></span>served from the idempotency key</span>
<span>◆ commit: one side effect</span>
</div>`;
}

/** The invocations with what they were sent and what they printed (escaped: it is the target's text). */
export function invocationsTable(invocations: readonly InvocationDetail[]): Raw {
  const rows = invocations.map((invocation) => {
    const output = invocation.stdout || invocation.stderr
      ? html`<details><summary>output${invocation.outputTruncated ? ' (truncated)' : ''}</summary>${invocation.stdout ? html`<div>stdout</div><pre data-testid="stdout">${invocation.stdout}</pre>` : ''}${invocation.stderr ? html`<div>stderr</div><pre data-testid="stderr">${invocation.stderr}</pre>` : ''}</details>`
      : html`<span class="first">no output</span>`;
    return html`<tr>
<td class="n">${invocation.id}</td><td>${invocation.label}</td><td class="mono">${invocation.sent}</td>
<td><span class="outcome-${invocation.outcome}">${invocation.outcome}</span> · ${invocation.ended}</td><td class="n">${invocation.startMs}–${invocation.endMs}</td><td>${output}</td>
</tr>`;
  });
  return html`<table class="invocations"><thead><tr><th>#</th><th>role</th><th>sent</th><th>ended</th><th>ms</th><th>output</th></tr></thead><tbody>${rows}</tbody></table>`;
}
