import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '@pipekit/wire';
import { openSession } from './open.ts';
import { LocalSession } from './session.ts';
import { formatRecord } from './serve.ts';

test('a local session reads every secret up front and lists ids only', async () => {
  const s = await LocalSession.open({ secrets: ['id=a,env=A', 'id=B'], env: { A: 'va', B: 'vb' } });
  assert.equal(await s.info(), { secrets: [{ id: 'a', cacheContent: false }, { id: 'B', cacheContent: false }], ssh: [] });
  assert.is((await s.getSecret('B'))?.toString(), 'vb');
  await s.close();
  assert.is(await s.getSecret('a'), undefined);
});

test('duplicate ids and mixing --session with --secret are refused', async () => {
  try {
    await LocalSession.open({ secrets: ['id=a,env=A', 'id=a,env=A'], env: { A: 'x' } });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, UsageError);
    assert.match((err as Error).message, /given twice/);
  }
  try {
    await openSession({ session: '/x.sock', secrets: ['id=a,env=A'], env: { A: 'x' } });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /give --secret and --ssh to secret-agent serve/);
  }
  try {
    await openSession({ session: '/x.sock', env: {} });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /PIPEKIT_SESSION_TOKEN is not set/);
  }
  assert.is(await openSession({ env: {} }), undefined);
});

test('serve prints json or sh lines', () => {
  const rec = { socket: "/tmp/a'b/agent.sock", token: 'ab12', pid: 42 };
  assert.is(formatRecord(rec, 'json'), `${JSON.stringify(rec)}\n`);
  assert.is(formatRecord(rec, 'sh'), "PIPEKIT_SESSION='/tmp/a'\\''b/agent.sock'; export PIPEKIT_SESSION;\nPIPEKIT_SESSION_TOKEN=ab12; export PIPEKIT_SESSION_TOKEN;\nSECRET_AGENT_PID=42; export SECRET_AGENT_PID;\n");
});

test.run();
