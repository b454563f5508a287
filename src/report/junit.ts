import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { checkAndHalves, familyOf, type CheckName } from '../core/check-names.js';
import type { CaseResult, CheckTally, ScenarioResult } from '../core/result.js';
import { replayCommand } from './command-line.js';

/**
 * junit.xml of a run, in the Ant/Jenkins form CI servers read (validated
 * against Jenkins' junit-10.xsd in the tests): one testsuite for the scenario,
 * one testcase per check and one per failed case. Built from the result
 * alone, so the same run always renders to the same bytes.
 *
 * A check the scenario expects to fail (`expect.fail`) and that did fail is
 * reported as skipped with type "expected-failure" (pytest's xfail
 * convention), so that CI's verdict matches retryproof's exit status; an
 * expected failure that held is a failure, as it is for the exit status.
 *
 * @example
 * writeFileAtomic(path.join(runDir, 'junit.xml'), renderJunit(result));
 */
export function renderJunit(result: ScenarioResult): string {
  const suite = suiteOf(result);
  const root = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' });
  const suites = root.ele('testsuites', {
    name: 'retryproof',
    tests: String(suite.tests),
    failures: String(suite.failures),
    errors: '0',
    time: seconds(result.durationMs),
  });
  const element = suites.ele('testsuite', {
    name: result.scenario.name,
    tests: String(suite.tests),
    failures: String(suite.failures),
    errors: '0',
    skipped: String(suite.skipped),
    time: seconds(result.durationMs),
    timestamp: result.startedAt,
    id: result.runId,
    file: result.scenario.file,
  });
  const properties = element.ele('properties');
  const property = (name: string, value: string): void => {
    properties.ele('property', { name, value }).up();
  };
  property('runDir', result.runDir);
  property('verdict', result.verdict);
  property('asExpected', String(result.asExpected));
  property('expectedFail', result.expectedFail.join(','));
  if (result.safety) property('safeToRetry', result.safety.safe ? 'yes' : 'no');
  if (result.contract) {
    property('contractLevel', result.contract.level === null ? 'not graded' : String(result.contract.level));
    property('contractGated', `${result.contract.gated ? 'yes' : 'no'} (${result.contract.why})`);
  }
  for (const testcase of suite.testcases) addTestcase(element, testcase);
  return root.end({ prettyPrint: true, indent: '  ', newline: '\n' }) + '\n';
}

interface Testcase {
  classname: string;
  name: string;
  time: string;
  failure?: { type: string; message: string; text: string };
  skipped?: { type: string; message: string };
  out?: string;
}

function suiteOf(result: ScenarioResult): { tests: number; failures: number; skipped: number; testcases: Testcase[] } {
  const testcases = [
    ...verdictTestcases(result),
    ...Object.entries(result.checks).map(([name, tally]) => checkTestcase(result, name, tally as CheckTally)),
    ...result.cases.filter((item) => item.verdict === 'fail').map((item) => caseTestcase(result, item)),
  ];
  return {
    tests: testcases.length,
    failures: testcases.filter((testcase) => testcase.failure).length,
    skipped: testcases.filter((testcase) => testcase.skipped).length,
    testcases,
  };
}

/** The two verdicts first: "safe to retry" and "contract", as CI shows them at the top. */
function verdictTestcases(result: ScenarioResult): Testcase[] {
  const { safety, contract } = result;
  if (!safety || !contract) return [];
  const safe: Testcase = { classname: `${result.scenario.name}.verdict`, name: 'safe to retry', time: '0' };
  const unexpected = safety.failedChecks.filter((name) => tolerated(result, name) === null);
  if (!safety.safe) {
    const message = `not safe to retry: ${safety.failedChecks.join(', ')} failed`;
    if (unexpected.length > 0) safe.failure = { type: 'unsafe', message, text: `unexpected: ${unexpected.join(', ')}` };
    else safe.skipped = { type: 'expected-failure', message: `${message}, as the scenario expects (expect.fail)` };
  }
  const level = contract.level === null ? 'not graded' : `level ${contract.level} of 3`;
  const contractCase: Testcase = { classname: `${result.scenario.name}.verdict`, name: `contract (${level})`, time: '0', out: contract.reasons.join('\n') };
  if (contract.failedChecks.length > 0) {
    const message = `contract checks failed: ${contract.failedChecks.join(', ')}; ${contract.gated ? 'gated' : 'not gated'} (${contract.why})`;
    const gatedUnexpected = contract.failedChecks.filter((name) => tolerated(result, name) === null);
    if (gatedUnexpected.length > 0) contractCase.failure = { type: 'contract', message, text: `unexpected: ${gatedUnexpected.join(', ')}` };
    else contractCase.skipped = { type: contract.gated ? 'expected-failure' : 'contract-not-gated', message };
  }
  return [safe, contractCase];
}

/** Why a failure of this check does not fail the run: 'expected' (expect.fail), 'not-gated' (a contract check that does not gate), or null. */
function tolerated(result: ScenarioResult, name: string): 'expected' | 'not-gated' | null {
  if (result.expectedFail.some((expected) => checkAndHalves(expected).includes(name as CheckName))) return 'expected';
  if (result.contract && !result.contract.gated && familyOf(name as CheckName) === 'contract') return 'not-gated';
  return null;
}

function checkTestcase(result: ScenarioResult, name: string, tally: CheckTally): Testcase {
  const testcase: Testcase = { classname: `${result.scenario.name}.${familyOf(name as CheckName)}`, name, time: '0', out: `pass ${tally.pass}, fail ${tally.fail}, warn ${tally.warn}, skip ${tally.skip}` };
  const why = tolerated(result, name);
  const expected = why !== null;
  const failedCases = result.cases.filter((item) => item.checks.some((check) => check.check === name && check.status === 'fail'));
  const first = failedCases[0];
  if (first) {
    const firstMessage = first.checks.find((check) => check.check === name && check.status === 'fail')!.message;
    const summary = `${name} failed in ${failedCases.length} of ${result.cases.length} cases; first in ${first.id}: ${first.scheduleText}. Replay: ${replayCommand(result.runDir, first.id)}`;
    if (why === 'expected') {
      testcase.skipped = { type: 'expected-failure', message: `failed as the scenario expects (expect.fail): ${summary}` };
      return testcase;
    }
    if (why === 'not-gated') {
      testcase.skipped = { type: 'contract-not-gated', message: `a contract check; the contract does not gate this run (${result.contract.why}): ${summary}` };
      return testcase;
    }
    const text = failedCases
      .map((item) => {
        const message = item.checks.find((check) => check.check === name && check.status === 'fail')!.message;
        return caseText(result, item, [message]);
      })
      .join('\n\n');
    testcase.failure = { type: name, message: `${summary} — ${firstMessage}`, text };
    return testcase;
  }
  if (result.heldExpected ? result.heldExpected.includes(name as CheckName) : why === 'expected') {
    const exercised = tally.pass + tally.warn > 0;
    testcase.failure = {
      type: 'expected-failure-held',
      message: exercised
        ? `${name} held in every case, but the scenario expects it to fail (expect.fail)`
        : `no case exercised ${name}, but the scenario expects it to fail (expect.fail)`,
      text: exercised
        ? `Remove ${name} from expect.fail in ${result.scenario.file} if the target is now fixed.`
        : `Enable the faults or probes that exercise ${name} in ${result.scenario.file}, or remove it from expect.fail.`,
    };
    return testcase;
  }
  if (tally.pass + tally.warn === 0) testcase.skipped = { type: 'not-exercised', message: `no case exercised ${name} (skipped in all ${tally.skip})` };
  return testcase;
}

function caseTestcase(result: ScenarioResult, item: CaseResult): Testcase {
  const failed = item.checks.filter((check) => check.status === 'fail');
  const names = failed.map((check) => check.check);
  const testcase: Testcase = { classname: `${result.scenario.name}.${item.operation}`, name: item.id, time: seconds(item.durationMs) };
  const summary = `${names.join(', ')} failed. Schedule: ${item.scheduleText}. Outcome: ${item.outcomeText}. Replay: ${replayCommand(result.runDir, item.id)}`;
  if (names.every((name) => tolerated(result, name) !== null)) {
    const notGated = names.some((name) => tolerated(result, name) === 'not-gated');
    testcase.skipped = notGated
      ? { type: 'contract-not-gated', message: `only checks that do not fail this run failed (expected, or contract checks not gated): ${summary}` }
      : { type: 'expected-failure', message: `failed as the scenario expects (expect.fail): ${summary}` };
  } else {
    testcase.failure = { type: names.join(','), message: summary, text: caseText(result, item, failed.map((check) => `${check.check}: ${check.message}`)) };
  }
  return testcase;
}

function caseText(result: ScenarioResult, item: CaseResult, why: string[]): string {
  return [
    `case ${item.id}`,
    `  schedule: ${item.scheduleText}`,
    `  outcome:  ${item.outcomeText}`,
    ...why.map((line) => `  why:      ${line}`),
    ...item.notes.map((note) => `  note:     ${note}`),
    `  replay:   ${replayCommand(result.runDir, item.id)}`,
  ].join('\n');
}

function addTestcase(parent: XMLBuilder, testcase: Testcase): void {
  const element = parent.ele('testcase', { classname: testcase.classname, name: testcase.name, time: testcase.time });
  if (testcase.failure) element.ele('failure', { type: testcase.failure.type, message: testcase.failure.message }).txt(testcase.failure.text).up();
  if (testcase.skipped) element.ele('skipped', { type: testcase.skipped.type, message: testcase.skipped.message }).up();
  if (testcase.out) element.ele('system-out').txt(testcase.out).up();
  element.up();
}

/** Seconds with millisecond precision, the form JUnit readers expect ("1.443"). */
function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}
