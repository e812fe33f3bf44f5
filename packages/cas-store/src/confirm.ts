// Ask a yes/no question on a terminal (stderr), as buildx prune does; false
// without asking when stdin is not a terminal.
import process from 'node:process';
import { createInterface } from 'node:readline';

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
