// Public surface of the Dockerfile parser. Everything else in this folder is internal.
export { parseDockerfile, type ParseOptions } from './parser.ts';
export type { Heredoc, Node, ParseResult, Warning } from './node.ts';
export { dumpAst } from './dump.ts';
export { goQuote } from './quote.ts';
export { DockerfileSyntaxError, type SourceLocation } from './errors.ts';
export { parseFlags } from './flags.ts';
export { chompHeredocContent, parseHeredoc } from './heredoc.ts';
