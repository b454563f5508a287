import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { splitCommand, starterScenario } from '../../src/init/starter.js';

const file = path.join('/tmp', 'retryproof.yaml');
const base = { portEnv: 'PORT', urlEnv: 'API_URL', file };

describe('retryproof init: the starter scenario (issue 14, item 9)', () => {
  it('for a command: the program (an interpreter with its script) in target.argv, the rest as the operation', () => {
    const text = starterScenario({ ...base, command: ['node', 'bin/tool.mjs', 'charge', '--amount', '5'] });
    const scenario = YAML.parse(text);
    expect(scenario.name).toBe('tool-charge');
    expect(scenario.target).toMatchObject({ kind: 'command', argv: ['node', 'bin/tool.mjs'], env: { API_URL: '{{upstreams.api.url}}' } });
    expect(scenario.operations).toEqual([{ name: 'charge', args: ['charge', '--amount', '5'] }]);
    expect(text).toContain('# TODO: pass the caller\'s idempotency key');
    expect(YAML.parse(starterScenario({ ...base, command: ['python3', '-m', 'mytool', 'charge'] })).target.argv).toEqual(['python3', '-m', 'mytool']);
    expect(YAML.parse(starterScenario({ ...base, command: ['./bin/tool', 'send'] })).target.argv).toEqual(['./bin/tool']);
  });

  it('for an HTTP API: split like a shell, the port and upstream URL in its env, a case folder, restarted per case', () => {
    const scenario = YAML.parse(starterScenario({ ...base, http: "node 'my server.js' --quiet", portEnv: 'HTTP_PORT', urlEnv: 'PAYMENTS_URL' }));
    expect(scenario.target.start).toMatchObject({
      argv: ['node', 'my server.js', '--quiet'],
      env: { HTTP_PORT: '{{port}}', PAYMENTS_URL: '{{upstreams.api.url}}', STATE_DIR: '{{case.dir}}' },
      restart: 'per-case',
    });
    expect(scenario.operations[0].request.method).toBe('POST');
  });

  it('refuses shell operators and an empty command, naming the flag', () => {
    expect(() => splitCommand('node a.js && rm -rf /')).toThrow(/without shell operators/);
    expect(() => splitCommand('   ')).toThrow(/needs the command/);
    expect(() => starterScenario({ ...base, command: [] })).toThrow(/needs the command to test after --/);
  });
});
