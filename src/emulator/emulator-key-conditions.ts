/**
 * Per-key account conditions for the emulator (issue 20, validating end users' own keys):
 * a key whose account is out of quota, or whose project may reach only some models. Set by
 * tests and demos (`RunningEmulator.setKeyCondition`), never over HTTP. The answers follow
 * the vendors' documented error shapes:
 *
 * - OpenAI: 429 `{"error":{"type":"insufficient_quota","code":"insufficient_quota",…}}` on the
 *   inference surface; a project limited to some models lists only those, and GET
 *   /v1/models/{model} of another is 404 `model_not_found`.
 * - Anthropic: 400 `invalid_request_error` "Your credit balance is too low …"; models listed
 *   as the key may use them.
 * - OpenRouter: GET /api/v1/key reports `limit_remaining: 0`; inference answers 402.
 */
export interface KeyCondition {
  outOfQuota?: boolean;
  /** Models the key may use; absent or null: every model. */
  models?: readonly string[] | null;
}

export type KeyConditions = Map<string, KeyCondition>;

export const OPENAI_INSUFFICIENT_QUOTA_MESSAGE = 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';
export const ANTHROPIC_CREDIT_MESSAGE = 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';

export function modelAllowed(condition: KeyCondition | undefined, model: string): boolean {
  return condition?.models === undefined || condition.models === null || condition.models.includes(model);
}
