import { isRekeyError } from '../core/errors.js';

/** A value-free reason: rekey's errors are value-free by contract; anything else is named only. */
export function reasonOf(error: unknown): string {
  if (isRekeyError(error)) return error.message;
  if (error instanceof Error) return `unexpected ${error.name}`;
  return 'unexpected failure';
}
