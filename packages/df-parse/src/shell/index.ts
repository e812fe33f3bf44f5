// Public surface of the shell-word lexer. Everything else in this folder is internal.
export { ShellLex, type Env, type ShellLexOptions, type WordWithMatches } from './lex.ts';
export { ShellExpansionError } from './errors.ts';
