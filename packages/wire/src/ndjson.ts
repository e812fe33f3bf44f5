// NDJSON framing: one JSON value per line. Reading reports the line number of
// any framing error so a hand-edited graph fails with a pointer, not a stack.
import { WireFormatError } from './errors.ts';

export type LineRecord = { line: number; value: Record<string, unknown> };

/** Parse NDJSON lines from a byte/string stream; blank lines are skipped. */
export async function* readNdjson(input: AsyncIterable<string | Uint8Array>): AsyncGenerator<LineRecord> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let buf = '';
  let line = 0;
  for await (const chunk of input) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      line++;
      const rec = parseLine(text, line);
      if (rec) yield rec;
    }
  }
  buf += decoder.decode();
  if (buf.length > 0) {
    line++;
    const rec = parseLine(buf, line);
    if (rec) yield rec;
  }
}

export function parseLine(text: string, line: number): LineRecord | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch (err) {
    const shown = t.length > 60 ? `${t.slice(0, 60)}...` : t;
    throw new WireFormatError(`not a JSON record: ${JSON.stringify(shown)}`, { line, cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WireFormatError('a record must be a JSON object', { line });
  }
  return { line, value: value as Record<string, unknown> };
}

export function toNdjsonLine(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}
