/**
 * Key values enter the CLI only through stdin or a hidden prompt, never through an
 * argument (argv is visible to every user on the machine through /proc and `ps`).
 */
import { UsageError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';

const MAX_SECRET_BYTES = 64 * 1024;

export async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_SECRET_BYTES) throw new UsageError(`stdin holds more than ${MAX_SECRET_BYTES} bytes; expected one key value`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseSecretText(text: string, where: string): SecretValue {
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new UsageError(`no value on ${where}`, { hint: 'pipe the key in, e.g. `pbpaste | rekey credential set-value <name>`' });
  if (/[\r\n]/.test(value)) throw new UsageError(`the value on ${where} spans several lines; expected one key value`);
  if (value !== value.trim()) throw new UsageError(`the value on ${where} has leading or trailing spaces`);
  return new SecretValue(value);
}

/** Ask on the terminal without echoing what is typed. */
export async function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  const output = process.stderr;
  if (!input.isTTY) throw new UsageError('cannot prompt: stdin is not a terminal');
  output.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let answer = '';
    const onData = (characters: string): void => {
      for (const character of characters) {
        if (character === '\r' || character === '\n') {
          finish();
          resolve(answer);
          return;
        }
        if (character === '\u0003') {
          finish();
          reject(new UsageError('cancelled'));
          return;
        }
        if (character === '\u007f' || character === '\b') answer = answer.slice(0, -1);
        else answer += character;
      }
    };
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
    };
    input.on('data', onData);
  });
}

/** The value from stdin when it is piped, else from a hidden prompt. */
export async function readSecretValue(what: string): Promise<SecretValue> {
  if (process.stdin.isTTY) return parseSecretText(await promptHidden(`${what}: `), 'the prompt');
  return parseSecretText(await readStdinText(), 'stdin');
}

export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes === true) return;
  if (!process.stdin.isTTY) throw new UsageError(`${question} needs confirmation`, { hint: 'pass --yes when not running on a terminal' });
  process.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    process.stdin.setEncoding('utf8');
    process.stdin.once('data', (data) => {
      process.stdin.pause();
      resolve(String(data).trim());
    });
    process.stdin.resume();
  });
  if (!/^y(es)?$/i.test(answer)) throw new UsageError('not confirmed; nothing was changed');
}
