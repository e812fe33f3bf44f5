import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BuildError, type Graph, type Mount, type OpRecord } from '@pipekit/wire';
import { checkGraphSecrets, requiredIds } from './graph-check.ts';

const base: Mount = { input: -1, selector: '', dest: '/', output: 0, readonly: false, type: 'bind', cache: null, tmpfs: null, secret: null, ssh: null };
function execRec(name: string, mounts: Partial<Mount>[], secretEnv: { id: string; name: string; optional: boolean }[] = []): OpRecord {
  return {
    v: 1, type: 'op', digest: `sha256:${name.length.toString(16).padStart(64, '0')}`,
    op: { inputs: [], platform: null, exec: { meta: { args: ['sh'], env: [], cwd: '/', user: '', hostname: '', validExitCodes: [] }, mounts: [base, ...mounts.map((m) => ({ ...base, ...m }))], network: 'sandbox', security: 'sandbox', secretEnv } },
    meta: { name, stage: '', command: '', locations: [{ file: 'Dockerfile', startLine: 3, startColumn: 0, endLine: 3, endColumn: 0 }], ignoreCache: false },
  } as OpRecord;
}
const graph = (...recs: OpRecord[]): Graph => ({ ops: new Map(recs.map((r) => [r.digest, r])), results: [], sources: [] });
const opt = (id: string, optional: boolean) => ({ id, uid: 0, gid: 0, mode: 0o400, optional });

test('only required ids count', () => {
  const g = graph(execRec('[1/2] RUN a', [{ type: 'secret', dest: '/run/secrets/a', secret: opt('a', false) }, { type: 'secret', dest: '/x', secret: opt('b', true) }],
    [{ id: 'c', name: 'C', optional: false }]), execRec('[2/2] RUN ssh', [{ type: 'ssh', dest: '/s', ssh: opt('default', false) }]));
  assert.equal(requiredIds(g).map((n) => `${n.kind}:${n.id}`), ['secret:a', 'secret:c', 'ssh:default']);
});

test('a missing required secret names the id, the step and its line', () => {
  const g = graph(execRec('[2/3] RUN cat /run/secrets/tok', [{ type: 'secret', dest: '/run/secrets/tok', secret: opt('tok', false) }]));
  assert.throws(() => checkGraphSecrets(g, undefined), (e: Error) =>
    e instanceof BuildError && /Dockerfile:3: \[2\/3\] RUN cat \/run\/secrets\/tok requires secret "tok", which this build was not given \(pass --secret id=tok/.test(e.message));
  checkGraphSecrets(g, { secrets: [{ id: 'tok', cacheContent: false }], ssh: [] });
});

test('a missing required ssh agent', () => {
  const g = graph(execRec('[1/1] RUN git clone', [{ type: 'ssh', dest: '/s', ssh: opt('default', false) }]));
  assert.throws(() => checkGraphSecrets(g, { secrets: [], ssh: ['other'] }), /requires ssh agent "default".*--ssh default/);
  checkGraphSecrets(g, { secrets: [], ssh: ['default'] });
});

test('optional ones never fail the check', () => {
  checkGraphSecrets(graph(execRec('x', [{ type: 'secret', dest: '/x', secret: opt('x', true) }], [{ id: 'y', name: 'Y', optional: true }])), undefined);
});

test.run();
