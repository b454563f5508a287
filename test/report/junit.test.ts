import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { create } from 'xmlbuilder2';
import { renderJunit } from '../../src/report/junit.js';
import { cliInvocation, replayCommand } from '../../src/report/command-line.js';
import type { ScenarioResult } from '../../src/core/result.js';
import { CRASH_CASE, HOSTILE, PASSING_CASE, TIMEOUT_CASE, writeSampleRun } from './fixtures/sample-run.js';

/** Jenkins' JUnit schema (xunit-plugin junit-10.xsd), the form CI servers read. */
const XSD = readFileSync(new URL('./fixtures/junit-10.xsd', import.meta.url), 'utf8');

async function schemaErrors(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'junit.xml', contents: xml }],
    schema: [{ fileName: 'junit-10.xsd', contents: XSD }],
  });
  return result.errors.map((error) => error.rawMessage);
}

interface Testcase {
  name: string;
  classname: string;
  failure?: { message: string; type: string; text: string };
  skipped?: { message: string; type: string };
}

interface Suite {
  name: string;
  tests: string;
  failures: string;
  skipped: string;
  testcases: Testcase[];
}

/** The part of a DOM element the tests read (xmlbuilder2 parses into a DOM). */
interface XmlElement {
  tagName: string;
  getAttribute(name: string): string | null;
  childNodes: ArrayLike<unknown>;
  textContent: string | null;
}

/** Reads junit.xml back with xmlbuilder2's DOM: what a CI server sees. */
function parse(xml: string): Suite[] {
  const root = create(xml).root().node as unknown as XmlElement;
  expect(root.tagName).toBe('testsuites');
  const children = (parent: XmlElement, tag: string): XmlElement[] =>
    Array.from(parent.childNodes).filter((node): node is XmlElement => (node as XmlElement).tagName === tag);
  return children(root, 'testsuite').map((suite) => ({
    name: suite.getAttribute('name')!,
    tests: suite.getAttribute('tests')!,
    failures: suite.getAttribute('failures')!,
    skipped: suite.getAttribute('skipped')!,
    testcases: children(suite, 'testcase').map((testcase) => {
      const failure = children(testcase, 'failure')[0];
      const skipped = children(testcase, 'skipped')[0];
      return {
        name: testcase.getAttribute('name')!,
        classname: testcase.getAttribute('classname')!,
        failure: failure && { message: failure.getAttribute('message')!, type: failure.getAttribute('type')!, text: failure.textContent ?? '' },
        skipped: skipped && { message: skipped.getAttribute('message')!, type: skipped.getAttribute('type')! },
      };
    }),
  }));
}

const run = writeSampleRun({ conformance: true });
afterAll(() => run.cleanup());

describe('renderJunit', () => {
  it('is valid against the JUnit schema Jenkins reads', async () => {
    expect(await schemaErrors(renderJunit(run.result))).toEqual([]);
    // The validator is not vacuous: a testsuite without its required attributes is refused.
    expect(await schemaErrors('<testsuites><testsuite tests="1"><testcase/></testsuite></testsuites>')).not.toEqual([]);
  });

  it('has one testsuite for the scenario: the two verdicts first, then one testcase per check and one per failed case', () => {
    const suites = parse(renderJunit(run.result));
    expect(suites).toHaveLength(1);
    const suite = suites[0]!;
    expect(suite.name).toBe('orders-sample');
    expect(suite.testcases.map((testcase) => testcase.name)).toEqual(['safe to retry', 'contract (level 1 of 3)', 'no-duplicate-effects', 'no-lost-effects', 'effect-field', TIMEOUT_CASE, CRASH_CASE]);
    expect(suite.tests).toBe('7');
    // Unsafe (no-duplicate-effects, unexpected): the verdict, the check and its case fail; effect-field is expected.
    expect(suite.failures).toBe('3');
    expect(suite.skipped).toBe('3');
    expect(suite.testcases[0]!.failure!.message).toBe('not safe to retry: no-duplicate-effects failed');
    expect(suite.testcases.find((testcase) => testcase.name === 'no-duplicate-effects')!.classname).toBe('orders-sample.effects');
    expect(suite.testcases.find((testcase) => testcase.name === 'effect-field')!.classname).toBe('orders-sample.contract');
  });

  it('reports contract failures as skipped (contract-not-gated) when the contract does not gate the run', async () => {
    const graded: ScenarioResult = { ...run.result, expectedFail: [], contract: { ...run.result.contract, gated: false, why: 'auto: the clean run claims no contract' } };
    const xml = renderJunit(graded);
    expect(await schemaErrors(xml)).toEqual([]);
    const suite = parse(xml)[0]!;
    expect(suite.testcases.find((testcase) => testcase.name === 'effect-field')!.skipped!.type).toBe('contract-not-gated');
    expect(suite.testcases.find((testcase) => testcase.name.startsWith('contract'))!.skipped!.type).toBe('contract-not-gated');
    expect(suite.testcases.find((testcase) => testcase.name === CRASH_CASE)!.skipped!.type).toBe('contract-not-gated');
    const gated = parse(renderJunit({ ...graded, contract: { ...graded.contract, gated: true } }))[0]!;
    expect(gated.testcases.find((testcase) => testcase.name === 'effect-field')!.failure!.type).toBe('effect-field');
  });

  it('puts the schedule in words and the replay command in each failure', () => {
    const suite = parse(renderJunit(run.result))[0]!;
    const check = suite.testcases.find((testcase) => testcase.name === 'no-duplicate-effects')!;
    const replay = `${cliInvocation()} replay ${run.runDir}/report.json --case ${TIMEOUT_CASE}`;
    expect(replayCommand(run.runDir, TIMEOUT_CASE)).toBe(replay);
    // A word the shell would split or expand is quoted.
    expect(replayCommand('/tmp/my runs', "it's $HOME")).toBe(`${cliInvocation()} replay '/tmp/my runs/report.json' --case 'it'\\''s $HOME'`);
    expect(check.failure!.message).toContain('request 1 to payments: timeout-after-commit; caller retries up to 2× with the same key');
    expect(check.failure!.message).toContain(replay);
    expect(check.failure!.text).toContain(`replay:   ${replay}`);
    const item = suite.testcases.find((testcase) => testcase.name === TIMEOUT_CASE)!;
    expect(item.classname).toBe('orders-sample.create-order');
    expect(item.failure!.message).toMatch(/^no-duplicate-effects, effect-field failed\. Schedule: request 1 to payments: timeout-after-commit/);
    expect(item.failure!.message).toContain(replay);
    // Target output in a message is text: the parser gives it back as it was.
    expect(item.failure!.text).toContain('<b>bold?</b>');
  });

  it('reports a failure the scenario expects as skipped (expected-failure), and an expected failure that held as a failure', async () => {
    const suite = parse(renderJunit(run.result))[0]!;
    const expected = suite.testcases.find((testcase) => testcase.name === 'effect-field')!;
    expect(expected.skipped!.type).toBe('expected-failure');
    expect(expected.failure).toBeUndefined();
    expect(suite.testcases.find((testcase) => testcase.name === CRASH_CASE)!.skipped!.type).toBe('expected-failure');

    const held: ScenarioResult = { ...run.result, expectedFail: ['no-lost-effects'], heldExpected: ['no-lost-effects'] };
    const xml = renderJunit(held);
    expect(await schemaErrors(xml)).toEqual([]);
    const lost = parse(xml)[0]!.testcases.find((testcase) => testcase.name === 'no-lost-effects')!;
    expect(lost.failure!.type).toBe('expected-failure-held');
  });

  it('stays valid XML when the target prints markup and control characters', async () => {
    const hostile: ScenarioResult = JSON.parse(JSON.stringify(run.result)) as ScenarioResult;
    hostile.cases[0]!.checks[0]!.message = `${HOSTILE} \u0000\u0008 ]]> "quotes" & 'apostrophes'`;
    hostile.cases[0]!.outcomeText = `</failure></testcase>${HOSTILE}`;
    const xml = renderJunit(hostile);
    expect(await schemaErrors(xml)).toEqual([]);
    const item = parse(xml)[0]!.testcases.find((testcase) => testcase.name === TIMEOUT_CASE)!;
    expect(item.failure!.message).toContain('</failure></testcase><script>');
  });

  it('depends on nothing but the result: the same result, the same bytes', async () => {
    const first = renderJunit(run.result);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(renderJunit(JSON.parse(JSON.stringify(run.result)) as ScenarioResult)).toBe(first);
  });

  it('is valid for a run where every check held', async () => {
    const clean: ScenarioResult = {
      ...run.result,
      cases: run.result.cases.filter((item) => item.id === PASSING_CASE),
      checks: { 'no-duplicate-effects': { pass: 1, fail: 0, warn: 0, skip: 0 }, 'dry-run-no-effects': { pass: 0, fail: 0, warn: 0, skip: 1 } },
      failedChecks: [],
      expectedFail: [],
      verdict: 'pass',
      asExpected: true,
      unexpectedFailures: [],
      heldExpected: [],
      safety: { safe: true, failedChecks: [] },
      contract: { ...run.result.contract, failedChecks: [] },
    };
    const xml = renderJunit(clean);
    expect(await schemaErrors(xml)).toEqual([]);
    const suite = parse(xml)[0]!;
    expect(suite.failures).toBe('0');
    expect(suite.testcases.find((testcase) => testcase.name === 'dry-run-no-effects')!.skipped!.type).toBe('not-exercised');
  });
});
