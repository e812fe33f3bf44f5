// JSON encoded the way Go's encoding/json does, because BuildKit's digests are
// digests of Go output: `<`, `>`, `&`, U+2028 and U+2029 inside strings are
// written as \u escapes (json.Marshal's HTML-safe default). Those characters never
// occur in JSON structure, so escaping them in the stringified text only touches
// string contents.

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function goEscape(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]);
}

/** Compact JSON like `json.Marshal`; `indent` gives `json.MarshalIndent(v, "", indent)`. */
export function goJson(value: unknown, indent?: string): string {
  return goEscape(indent ? JSON.stringify(value, null, indent) : JSON.stringify(value));
}
