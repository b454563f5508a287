import type { CaseRows } from '../ledger/rows.js';
import type { CaseResult, CheckTally, ScenarioResult } from '../core/result.js';
import { anchorId, html, raw, type Raw } from './html/escape.js';
import { percent, runNumbers, type RunNumbers } from './html/numbers.js';
import { plural } from '../checks/check.js';
import { SCRIPT, SCRIPT_HASH } from './html/script.js';
import { STYLE } from './html/style.js';
import { invocationsTable, timelineView } from './html/timeline-view.js';
import { cliInvocation, displayPath, replayCommand } from './command-line.js';
import { buildTimeline, duplicateEffectIds } from './timeline.js';

/** The conformance level and its reasons (`ScenarioResult.contract`). */
interface ConformanceView {
  level: number | null;
  reasons: string[];
}

/** Optional parts of a result that `explore` and `replay` add. */
interface Extras {
  explore?: {
    seed: number;
    runs: number;
    executed: number;
    planned: number;
    minimal: { caseId: string; scheduleText: string; failedChecks: string[]; shrinks: number; reproduced?: boolean } | null;
    reproduce: string | null;
  };
  replay?: { of: { caseId: string }; recorded: boolean; sameChecks: boolean; sameLedger: boolean; differences: string[] };
}

/** Reads a case's rows (from the run's ledger); empty rows when the ledger has none. */
export type RowsOf = (caseId: string) => CaseRows;

/**
 * report.html of a run: one self-contained page (inline styles and script, no
 * network), built only from the result and the ledger, so the same run always
 * renders to the same bytes. Everything that comes from the target or the
 * scenario is escaped.
 *
 * @example
 * const page = renderHtmlReport(result, (id) => ledger.readCase(id));
 */
export function renderHtmlReport(result: ScenarioResult, rowsOf: RowsOf): string {
  const extras = result as ScenarioResult & Extras;
  const failing = result.cases.filter((item) => item.verdict === 'fail');
  const passing = result.cases.filter((item) => item.verdict !== 'fail');
  const numbers = runNumbers(result, rowsOf);
  // Open one case to start with: a duplicate effect committed by the very request a fault hit says the most.
  const duplicated = failing.filter((item) => duplicateEffectIds(item).length > 0);
  const faultCommitted = (item: CaseResult): boolean => {
    const faulted = new Set(item.faults.map((fault) => fault.requestId));
    const duplicates = duplicateEffectIds(item);
    return rowsOf(item.id).effects.some((effect) => faulted.has(effect.requestId) && duplicates.includes(effect.id));
  };
  const openId = (duplicated.find(faultCommitted) ?? duplicated[0] ?? failing[0])?.id;
  const title = `retryproof · ${result.scenario.name} · ${verdictWord(result)}`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src ${raw(SCRIPT_HASH)}; img-src data:; base-uri 'none'; form-action 'none'">
<title>${title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
${header(result)}
${numbersView(numbers)}
${result.contract ? conformanceView(result.contract) : ''}
${exploreView(extras)}
${checksView(result)}
<section id="failing">
<h2>${failing.length === 0 ? 'No failing case' : `${failing.length} failing case${failing.length === 1 ? '' : 's'}`}</h2>
${failing.length === 0 ? html`<p class="first">No check failed in any case, so there is no timeline to show. <code>retryproof show</code> prints any case's timeline from the ledger.</p>` : ''}
${failing.length > 0 ? html`<div class="toolbar"><button type="button" id="expand-all">expand all</button><button type="button" id="collapse-all">collapse all</button><span class="first">each case: the schedule, what happened, and a timeline with one lane per actor</span></div>` : ''}
${failing.map((item) => caseView(result, item, rowsOf(item.id), item.id === openId))}
</section>
${passingView(passing)}
${notesView(result)}
<footer>report.json and ledger.sqlite beside this file hold every detail (the ledger opens in any SQLite client). Re-render this page with <code>${cliInvocation()} report ${displayPath(result.runDir)}</code>; print a case's timeline with <code>${cliInvocation()} show ${displayPath(result.runDir)} --case ID</code>.</footer>
</main>
<script>${raw(SCRIPT)}</script>
</body>
</html>
`;
  return page.value;
}

function verdictWord(result: ScenarioResult): string {
  if (!result.asExpected) return 'FAIL';
  return result.expectedFail.length > 0 ? 'FAIL as expected' : 'PASS';
}

function header(result: ScenarioResult): Raw {
  const pill = !result.asExpected ? 'fail' : result.expectedFail.length > 0 ? 'expected' : 'pass';
  const unexpected = result.unexpectedFailures ?? [];
  const held = result.heldExpected ?? [];
  const detail = [
    result.failedChecks.length ? `failed: ${result.failedChecks.join(', ')}` : 'every check held',
    unexpected.length ? `not expected: ${unexpected.join(', ')}` : '',
    held.length ? `expected to fail but held: ${held.join(', ')}` : '',
  ].filter(Boolean).join(' — ');
  return html`<header class="card">
<div class="header"><h1>${result.scenario.name} <span class="pill ${pill}" data-testid="verdict">${verdictWord(result)}</span></h1></div>
${twoVerdicts(result)}
<p class="meta"><span>${result.scenario.file}</span><span>run ${result.runId}</span><span>started ${result.startedAt}</span><span>${(result.durationMs / 1000).toFixed(1)} s</span><span>${result.cases.length} case${result.cases.length === 1 ? '' : 's'}</span>${result.complete ? '' : html`<span>incomplete</span>`}</p>
<p class="verdict-line">${detail}</p>
</header>`;
}

/** Safe to retry (effects and retry behaviour) and the contract level: what the page leads with. */
function twoVerdicts(result: ScenarioResult): Raw | string {
  const { safety, contract } = result;
  if (!safety || !contract) return '';
  const level = contract.level === null ? 'not graded' : `level ${contract.level} of 3`;
  return html`<p class="verdict-line" data-testid="safety"><span class="pill ${safety.safe ? 'pass' : 'fail'}">safe to retry: ${safety.safe ? 'yes' : 'no'}</span> ${safety.safe ? 'every effects and retry-behaviour check held' : `failed: ${safety.failedChecks.join(', ')}`}</p>
<p class="verdict-line" data-testid="contract"><span class="pill ${contract.gated && contract.failedChecks.length > 0 ? 'fail' : contract.failedChecks.length > 0 ? 'expected' : 'pass'}">contract: ${level}</span> ${contract.failedChecks.length ? `failing: ${contract.failedChecks.join(', ')}` : 'every contract check held'}; ${contract.gated ? 'gates the exit status' : 'graded, not gated'} (${contract.why})</p>`;
}

function numbersView(numbers: RunNumbers): Raw {
  const card = (label: string, value: string, hint: string, tone: 'good' | 'bad' | '' = '', id = ''): Raw =>
    html`<div class="number ${tone}"${id ? raw(` data-testid="${id}"`) : ''}><div class="label">${label}</div><div class="value">${value}</div><div class="hint">${hint}</div></div>`;
  const ratio = (count: number, of: number): string => `${count} of ${of} cases`;
  return html`<section class="numbers" aria-label="the run in numbers">
${card('First-attempt success', percent(numbers.firstAttemptSuccess), `${ratio(numbers.firstAttemptSuccess.count, numbers.firstAttemptSuccess.of)}: the first invocation succeeded`, '', 'first-attempt-success')}
${card('Retry rate', percent(numbers.retried), `${ratio(numbers.retried.count, numbers.retried.of)}: the caller had to retry`, '', 'retry-rate')}
${card('Failures after all retries', String(numbers.failedAfterRetries.count), `of ${numbers.failedAfterRetries.of} cases${numbers.unknownOutcome.count ? `; ${numbers.unknownOutcome.count} more ended with an unknown outcome` : ''}`, numbers.failedAfterRetries.count ? 'bad' : 'good', 'failed-after-retries')}
${card('Replays served by key', String(numbers.replayedByKey), 'upstream requests answered from their idempotency key, with no new effect', numbers.replayedByKey ? 'good' : '', 'replayed-by-key')}
${card('Duplicates', String(numbers.duplicateEffects), `extra effects beyond the clean run, in ${numbers.casesWithDuplicates} case${numbers.casesWithDuplicates === 1 ? '' : 's'}`, numbers.duplicateEffects ? 'bad' : 'good', 'duplicates')}
${card('Failing cases', `${numbers.failedCases} / ${numbers.cases}`, 'cases where at least one check failed', numbers.failedCases ? 'bad' : 'good', 'failing-cases')}
</section>`;
}

function conformanceView(conformance: ConformanceView): Raw {
  const levels = [0, 1, 2, 3].map((level) => html`<span class="level${conformance.level === level ? ' on' : ''}">${`level ${level}`}</span>`);
  return html`<section id="conformance">
<h2>Conformance level: ${conformance.level === null ? 'not graded' : String(conformance.level)}</h2>
<div class="card" data-testid="conformance">
${conformance.level === null ? '' : html`<div class="levels">${levels}</div>`}
<p class="first">0: no idempotency mechanism · 1: some operations accept a key · 2: every mutating operation accepts a key and reports <code>effect</code> · 3: level 2 plus <code>--dry-run</code></p>
<ul>${conformance.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>
</div>
</section>`;
}

function exploreView(extras: Extras): Raw | '' {
  if (extras.explore) {
    const { explore } = extras;
    return html`<section id="explore"><h2>Exploration</h2><div class="card">
<p>seed ${explore.seed}: ${explore.executed} of ${explore.planned} random cases run.</p>
${explore.minimal?.reproduced === false
  ? html`<p>First failure, case <a href="#${anchorId('case', explore.minimal.caseId)}">${explore.minimal.caseId}</a>: ${explore.minimal.scheduleText}. It breaks ${explore.minimal.failedChecks.join(', ')}. It did not fail again when its schedule ran again: it depends on timing, so it was not shrunk; its ledger is the evidence.</p>`
  : explore.minimal
  ? html`<p>Smallest failing schedule (after ${explore.minimal.shrinks} shrinks), case <a href="#${anchorId('case', explore.minimal.caseId)}">${explore.minimal.caseId}</a>: ${explore.minimal.scheduleText}. It breaks ${explore.minimal.failedChecks.join(', ')}.</p>${explore.reproduce ? html`<pre>${explore.reproduce}</pre>` : ''}`
  : html`<p>No random schedule broke a check.</p>`}
</div></section>`;
  }
  if (extras.replay) {
    const { replay } = extras;
    const same = replay.sameChecks && replay.sameLedger;
    return html`<section id="replay"><h2>Replay of ${replay.of.caseId}</h2><div class="card">
${!replay.recorded ? html`<p>A hand-written schedule: nothing recorded to compare with.</p>` : same ? html`<p>Reproduced exactly: the same checks, the same requests and effects.</p>` : html`<p>Differs from the recording:</p><ul>${replay.differences.map((line) => html`<li>${line}</li>`)}</ul>`}
</div></section>`;
  }
  return '';
}

function checksView(result: ScenarioResult): Raw {
  const rows = Object.entries(result.checks).map(([name, tally]) => {
    const counts = tally as CheckTally;
    const expected = result.expectedFail.includes(name as never);
    const first = result.cases.find((item) => item.checks.some((check) => check.check === name && check.status === 'fail'));
    const message = first?.checks.find((check) => check.check === name && check.status === 'fail')?.message;
    const [status, cls] =
      counts.fail > 0
        ? expected ? ['failed, as expected', 'expected'] : ['failed', 'fail']
        : counts.pass + counts.warn > 0
          ? expected ? ['held, but expected to fail', 'fail'] : ['held', 'pass']
          : expected ? ['not exercised, but expected to fail', 'fail'] : ['not exercised', 'skip'];
    return html`<tr class="check-${cls}" data-check="${name}">
<td class="check-name"><code>${name}</code></td><td class="status ${cls}">${status}</td>
<td class="n">${counts.pass}</td><td class="n">${counts.fail}</td><td class="n">${counts.warn}</td><td class="n">${counts.skip}</td>
<td>${first && message ? html`<div class="first">first in <a href="#${anchorId('case', first.id)}">${first.id}</a></div><div>${message}</div>` : ''}</td>
</tr>`;
  });
  return html`<section id="checks"><h2>Checks</h2>
<table data-testid="checks"><thead><tr><th>check</th><th>verdict</th><th>pass</th><th>fail</th><th>warn</th><th>skip</th><th>first violation</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

function caseView(result: ScenarioResult, item: CaseResult, rows: CaseRows, open: boolean): Raw {
  const failed = item.checks.filter((check) => check.status === 'fail');
  const expected = (name: string): boolean => result.expectedFail.includes(name as never);
  const onlyExpected = failed.length > 0 && failed.every((check) => expected(check.check));
  const timeline = buildTimeline(item.id, rows, item);
  const duplicates = timeline.duplicateEffectIds.length;
  const chips = failed.map((check) => html`<span class="chip${expected(check.check) ? ' expected' : ''}">${check.check}</span>`);
  const warnings = item.checks.filter((check) => check.status === 'warn');
  const hasRows = rows.invocations.length + rows.requests.length + rows.effects.length > 0;
  return html`<details class="case${onlyExpected ? ' only-expected' : ''}" id="${anchorId('case', item.id)}" data-testid="failing-case" data-case="${item.id}"${open ? raw(' open') : ''}>
<summary><span class="case-id">${item.id}</span>${chips}${duplicates ? html`<span class="chip dup">${`${duplicates} effects marked duplicate`}</span>` : ''}<span class="schedule">${item.scheduleText}</span></summary>
<div class="case-body">
<dl class="facts">
<dt>schedule</dt><dd>${item.scheduleText}</dd>
<dt>what happened</dt><dd>${item.outcomeText}</dd>
<dt>requests</dt><dd>${Object.entries(item.requestsTo).map(([upstream, count]) => `${count} to ${upstream}`).join(', ') || 'none'}; ${item.effects} effect${item.effects === 1 ? '' : 's'}; ${item.durationMs} ms</dd>
${item.notes.length ? html`<dt>notes</dt><dd>${item.notes.join('; ')}</dd>` : ''}
</dl>
<h3>Why it failed</h3>
<ul class="violations">${failed.map((check) => html`<li class="${expected(check.check) ? 'expected' : ''}"><span class="check-name">${check.check}</span>${expected(check.check) ? ' (expected)' : ''}: ${check.message}</li>`)}
${warnings.map((check) => html`<li class="expected"><span class="check-name">${check.check}</span> (warning): ${check.message}</li>`)}</ul>
<h3>Timeline</h3>
${hasRows ? timelineView(timeline) : html`<p class="first">The ledger holds no rows for this case.</p>`}
${hasRows ? html`<h3>Invocations</h3>${invocationsTable(timeline.invocations)}` : ''}
<div class="replay"><span class="first">replay it:</span><pre>${replayCommand(result.runDir, item.id)}</pre></div>
</div>
</details>`;
}

function passingView(passing: readonly CaseResult[]): Raw | '' {
  if (passing.length === 0) return '';
  return html`<section id="passing"><h2 data-testid="passing-count">${passing.length} passing case${passing.length === 1 ? '' : 's'}</h2>
<details><summary>list them</summary><ul class="passing-list">${passing.map((item) => html`<li><code>${item.id}</code></li>`)}</ul></details>
</section>`;
}

function notesView(result: ScenarioResult): Raw | '' {
  const notes: string[] = [];
  const counts = new Map<string, number>();
  for (const note of result.cases.flatMap((item) => item.notes)) counts.set(note, (counts.get(note) ?? 0) + 1);
  for (const [note, count] of counts) notes.push(count > 1 ? `${note} (${count} cases)` : note);
  if (result.unreachableCases > 0) notes.push(`${plural(result.unreachableCases, 'planned case')} skipped: they fault a request position the fault-free case never reaches`);
  for (const skipped of result.skippedFaults) notes.push(`${skipped.fault} not run: ${skipped.reason}`);
  if (notes.length === 0) return '';
  return html`<section id="notes"><h2>Notes</h2><ul class="notes">${notes.map((note) => html`<li>${note}</li>`)}</ul></section>`;
}
