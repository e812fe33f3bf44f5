import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editDistance, undefinedVarMessages } from './undefined-var.ts';
import type { StageState } from './state.ts';

test('edit distance', () => {
  for (const [a, b, d] of [['', '', 0], ['abc', 'abc', 0], ['abc', 'abd', 1], ['abc', 'ab', 1], ['kitten', 'sitting', 3], ['', 'xyz', 3], ['é', 'e', 1]] as const) {
    assert.is(editDistance(a, b), d, `${a} ${b}`);
    assert.is(editDistance(b, a), d, `${b} ${a}`);
  }
});

const stage = (env: string[], args: string[]) => ({ env, args: args.map((key) => ({ key, value: undefined })) }) as unknown as StageState;

test('declared ARGs, builtins and proxies are defined; suggestions within distance 2, case-sensitive', () => {
  const st = stage(['PATH=/bin', 'APP_HOME=/app'], ['VERSION']);
  assert.equal(undefinedVarMessages(['VERSION', 'TARGETARCH', 'HTTP_PROXY', 'no_proxy'], st), []);
  assert.equal(undefinedVarMessages(['APP_HOM'], st), ["Usage of undefined variable '$APP_HOM' (did you mean $APP_HOME?)"]);
  assert.equal(undefinedVarMessages(['VERSON'], st), ["Usage of undefined variable '$VERSON' (did you mean $VERSION?)"]);
  assert.equal(undefinedVarMessages(['app_home'], st), ["Usage of undefined variable '$app_home'"], 'case counts on Linux');
  assert.equal(undefinedVarMessages(['FOO'], st), ["Usage of undefined variable '$FOO'"]);
});

test.run();
