// RUN with heredocs, as BuildKit's dispatchRun does it: a command that is just
// one heredoc runs its body (a `#!` body as a script file mounted read-only at
// /dev/pipes/, anything else as the shell's -c text); other shapes are put back
// together (line, then each body and terminator) for the shell to interpret.
import { Buffer } from 'node:buffer';
import type { Input, Mount } from '@pipekit/wire';
import { chompHeredocContent, parseHeredoc, type Node } from '../parser/index.ts';
import type { Conv } from './context.ts';

/** `mount.input` is -1 until the caller indexes `source` into the op's inputs. */
export type HeredocRun = { args: string[]; mount?: { mount: Mount; source: Input }; summary?: string };

function summarize(doc: string): string {
  const lines = doc.trim().replace(/\r\n/g, '\n').split('\n');
  return lines[0] + (lines.length > 1 ? '...' : '');
}

/** `line` is the shell-form command text; returns the command (before the shell is prepended). */
export function heredocRun(conv: Conv, n: Node, line: string, isWindows: boolean): HeredocRun {
  const docs = n.heredocs;
  const single = parseHeredoc(line);
  if (!single || docs.length !== 1) {
    let full = line;
    for (const d of docs) full += `\n${d.content}${d.name}`;
    return { args: [full] };
  }
  const doc = docs[0];
  const data = doc.chomp ? chompHeredocContent(doc.content) : doc.content;
  const summary = summarize(doc.content);
  if (isWindows || !doc.content.startsWith('#!')) return { args: [data], summary };
  const file = conv.graph.add(
    {
      inputs: [],
      platform: conv.platform,
      file: { actions: [{ input: -1, secondaryInput: -1, output: 0, mkfile: { path: `/${doc.name}`, mode: 0o755, data: Buffer.from(data).toString('base64'), owner: null, timestamp: -1 } }] },
    },
    { name: '[internal] preparing inline document' },
  );
  const mount: Mount = {
    input: -1, selector: '', dest: '/dev/pipes/', output: -1, readonly: true, type: 'bind',
    cache: null, tmpfs: null, secret: null, ssh: null,
  };
  return { args: [`/dev/pipes/${doc.name}`], mount: { mount, source: file }, summary };
}
