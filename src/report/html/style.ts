/**
 * The report's stylesheet, inlined so that report.html works opened from disk
 * with no network. Plain CSS: a grid for the timeline, custom properties for
 * the palette.
 */
export const STYLE = `
:root {
  --ink: #1d2330; --muted: #5b6578; --line: #d9dee7; --paper: #ffffff; --wash: #f5f7fa;
  --ok: #1a7f37; --ok-wash: #e6f4ea; --fail: #c62828; --fail-wash: #fdecec; --fault: #b25e00; --fault-wash: #fff3e0;
  --unknown: #6a4bb5; --unknown-wash: #f1ecfb; --commit: #0b6b75; --commit-wash: #e3f4f5; --replayed: #1f5fbf; --replayed-wash: #e8f0fd;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--wash); }
main { max-width: 1400px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; }
h3 { font-size: 14px; margin: 18px 0 8px; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; padding: 8px 10px; background: var(--wash); border: 1px solid var(--line); border-radius: 6px; max-height: 320px; overflow: auto; }
a { color: var(--replayed); }
.meta { color: var(--muted); margin: 0; }
.meta span + span::before { content: "·"; margin: 0 8px; color: var(--line); }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; }
.pill { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12.5px; vertical-align: middle; }
.pill.pass { background: var(--ok-wash); color: var(--ok); }
.pill.fail { background: var(--fail-wash); color: var(--fail); }
.pill.expected { background: var(--fault-wash); color: var(--fault); }
.header { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px; flex-wrap: wrap; }
.verdict-line { margin: 10px 0 0; font-weight: 600; }

.numbers { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-top: 18px; }
.number { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.number .value { font-size: 24px; font-weight: 700; }
.number .label { font-weight: 600; }
.number .hint { color: var(--muted); font-size: 12px; }
.number.bad .value { color: var(--fail); }
.number.good .value { color: var(--ok); }

table { border-collapse: collapse; width: 100%; background: var(--paper); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: var(--wash); }
td.n { text-align: right; font-variant-numeric: tabular-nums; width: 4.5em; }
td.check-name { white-space: nowrap; }
tr.check-fail td:first-child { border-left: 4px solid var(--fail); }
tr.check-expected td:first-child { border-left: 4px solid var(--fault); }
tr.check-pass td:first-child { border-left: 4px solid var(--ok); }
tr.check-skip td:first-child { border-left: 4px solid var(--line); }
.status { font-weight: 600; white-space: nowrap; }
.status.fail { color: var(--fail); } .status.expected { color: var(--fault); } .status.pass { color: var(--ok); } .status.skip { color: var(--muted); }
.first { color: var(--muted); font-size: 12.5px; }
.levels { display: flex; gap: 6px; margin: 8px 0; }
.level { border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; color: var(--muted); }
.level.on { background: var(--ink); color: var(--paper); border-color: var(--ink); font-weight: 700; }

.toolbar { display: flex; gap: 8px; align-items: center; margin: 0 0 10px; }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--paper); cursor: pointer; }
details.case { background: var(--paper); border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 8px; margin: 8px 0; }
details.case.only-expected { border-left-color: var(--fault); }
details.case > summary { cursor: pointer; padding: 10px 14px; list-style: none; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
details.case > summary::-webkit-details-marker { display: none; }
details.case > summary::before { content: "▸"; color: var(--muted); }
details.case[open] > summary::before { content: "▾"; }
details.case > summary .case-id { font-family: var(--mono); font-weight: 600; }
details.case > summary .schedule { color: var(--muted); flex-basis: 100%; padding-left: 20px; }
.case-body { padding: 0 16px 16px; border-top: 1px solid var(--line); }
.chip { display: inline-block; font-size: 11.5px; padding: 1px 8px; border-radius: 999px; background: var(--fail-wash); color: var(--fail); font-weight: 600; }
.chip.expected { background: var(--fault-wash); color: var(--fault); }
.chip.dup { background: var(--fail); color: #fff; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 12px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ul.violations { margin: 6px 0; padding-left: 18px; }
ul.violations li { margin: 4px 0; }
ul.violations .check-name { font-weight: 600; color: var(--fail); }
ul.violations .expected .check-name { color: var(--fault); }

.timeline-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; background: var(--paper); margin: 10px 0; }
.timeline { display: grid; column-gap: 0; row-gap: 2px; min-width: 100%; padding: 0 12px 10px 0; position: relative; }
.lane-head { position: sticky; top: 0; z-index: 4; background: var(--wash); border-bottom: 1px solid var(--line); padding: 8px 6px; text-align: center; }
.lane-head .title { font-weight: 700; }
.lane-head .subtitle { color: var(--muted); font-size: 12px; }
.lane-head.caller .title { color: var(--ink); }
.lane-head.invocation .title { color: var(--replayed); }
.lane-head.upstream .title { color: var(--commit); }
.time-head { position: sticky; top: 0; z-index: 4; background: var(--wash); border-bottom: 1px solid var(--line); padding: 8px 6px; color: var(--muted); font-size: 12px; text-align: right; }
.t { color: var(--muted); font-family: var(--mono); font-size: 11.5px; text-align: right; padding: 0 8px; align-self: end; white-space: nowrap; }
.lifeline { justify-self: center; width: 0; border-left: 1px dashed #c3cad6; z-index: 0; }
.activation { justify-self: center; width: 12px; background: #dbe7fb; border: 1px solid #a8c2ee; border-radius: 3px; z-index: 1; margin: 6px 0 0; }
.activation.killed { background: var(--unknown-wash); border-color: var(--unknown); }
.msg { position: relative; z-index: 2; align-self: end; margin-inline: calc(50% / var(--span)); padding: 2px 4px 5px; border-bottom: 2px solid currentColor; text-align: center; min-height: 24px; }
.msg .label { color: var(--ink); font-size: 12.5px; background: rgba(255,255,255,.92); padding: 0 4px; border-radius: 3px; overflow-wrap: anywhere; }
.msg::after { content: ""; position: absolute; bottom: -6px; border: 5px solid transparent; }
.msg.right::after { right: -2px; border-left: 8px solid currentColor; border-right: 0; }
.msg.left::after { left: -2px; border-right: 8px solid currentColor; border-left: 0; }
.msg.lost { border-bottom-style: dashed; }
.msg.lost::after { content: "✕"; border: 0; bottom: -11px; font-weight: 700; font-size: 14px; }
.msg.right.lost::after { right: -6px; } .msg.left.lost::after { left: -6px; }
.tone-neutral { color: #6b7489; } .tone-ok { color: var(--ok); } .tone-fault { color: var(--fault); } .tone-failure { color: var(--fail); }
.tone-unknown { color: var(--unknown); } .tone-replayed { color: var(--replayed); } .tone-commit { color: var(--commit); }
.fault { display: inline-block; font-family: var(--mono); font-size: 11.5px; font-weight: 700; color: #fff; background: var(--fault); border-radius: 4px; padding: 0 6px; margin-left: 4px; }
.commit { z-index: 2; justify-self: center; align-self: center; max-width: 96%; margin: 2px 0; padding: 3px 8px; border-radius: 6px; font-size: 12.5px; background: var(--commit-wash); color: var(--commit); border: 1px solid var(--commit); text-align: center; }
.commit.duplicate { background: var(--fail-wash); color: var(--fail); border: 2px solid var(--fail); font-weight: 600; }
.dup-marker { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 4px; background: var(--fail); color: #fff; font-size: 11px; font-weight: 800; letter-spacing: .06em; text-transform: uppercase; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; color: var(--muted); font-size: 12px; margin: 6px 0; }
.legend .swatch { display: inline-block; width: 18px; height: 0; border-bottom: 2px solid currentColor; vertical-align: middle; margin-right: 4px; }

table.invocations td { font-size: 12.5px; }
table.invocations details summary { cursor: pointer; color: var(--replayed); }
.outcome-success { color: var(--ok); font-weight: 600; } .outcome-failure { color: var(--fail); font-weight: 600; } .outcome-unknown { color: var(--unknown); font-weight: 600; }
.replay { margin-top: 10px; }
.passing-list { columns: 2 360px; margin: 8px 0 0; padding-left: 18px; font-size: 12.5px; }
.notes li { margin: 3px 0; }
footer { margin-top: 36px; color: var(--muted); font-size: 12.5px; }
@media print { details.case { break-inside: avoid; } .toolbar { display: none; } }
`;
