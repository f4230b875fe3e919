import { CliError } from '../errors.ts';

/**
 * Reads a new password: the whole of standard input with `--stdin` (for automation; one trailing
 * newline removed), else a prompt on the terminal without echo, asked twice. The password is
 * never an argument: arguments show in `ps` and shell history.
 */
export async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY) throw new CliError('standard input is not a terminal: pipe the password with --stdin', 2);
  const [first, second] = await promptHidden(['New password: ', 'Repeat it: ']);
  if (first !== second) throw new CliError('the two passwords differ');
  return first;
}

/**
 * Lines from the terminal in raw mode, one per prompt, echoing nothing; Ctrl-C / Ctrl-D abort.
 * Typed-ahead input may bring several lines in one chunk: they are split here, never dropped.
 */
function promptHidden(prompts: string[]): Promise<string[]> {
  const stdin = process.stdin;
  const lines: string[] = [];
  let typed = '';
  process.stderr.write(prompts[0]);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      if (err) {
        process.stderr.write('\n');
        reject(err);
      } else {
        resolve(lines);
      }
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          lines.push(typed);
          typed = '';
          process.stderr.write('\n');
          if (lines.length === prompts.length) return finish();
          process.stderr.write(prompts[lines.length]);
        } else if (ch === '\u0003' || ch === '\u0004') {
          return finish(new CliError('cancelled'));
        } else if (ch === '\u007f' || ch === '\b') {
          typed = [...typed].slice(0, -1).join('');
        } else {
          typed += ch;
        }
      }
    };
    stdin.on('data', onData);
  });
}
