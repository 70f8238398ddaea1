/**
 * The command line this invocation runs (without `rekey`, `--server` and `--approval`), kept
 * by `main` so a server-mode refusal can print the exact command to repeat under an
 * approval. No imports: `main` loads it for every command.
 */
let invocation: readonly string[] = [];

export function rememberInvocation(words: readonly string[]): void {
  invocation = words;
}

export function currentInvocation(): readonly string[] {
  return invocation;
}
