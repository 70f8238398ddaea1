/**
 * Every OpenAI operation the emulator implements, as spelled in the official OpenAPI file
 * (path relative to the `/v1` server). The pruned spec keeps exactly these, and the
 * conformance test checks that this list, the emulator's routes and the exercised
 * requests all agree.
 */
export type HttpMethod = 'get' | 'post' | 'delete';

export const OPENAI_IMPLEMENTED_OPERATIONS: ReadonlyArray<readonly [HttpMethod, string]> = [
  ['get', '/models'],
  ['get', '/models/{model}'],
  ['post', '/chat/completions'],
  ['post', '/embeddings'],
  ['get', '/organization/projects'],
  ['post', '/organization/projects'],
  ['get', '/organization/projects/{project_id}'],
  ['post', '/organization/projects/{project_id}'],
  ['post', '/organization/projects/{project_id}/archive'],
  ['get', '/organization/projects/{project_id}/service_accounts'],
  ['post', '/organization/projects/{project_id}/service_accounts'],
  ['get', '/organization/projects/{project_id}/service_accounts/{service_account_id}'],
  ['post', '/organization/projects/{project_id}/service_accounts/{service_account_id}'],
  ['delete', '/organization/projects/{project_id}/service_accounts/{service_account_id}'],
  ['post', '/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys'],
  ['get', '/organization/projects/{project_id}/api_keys'],
  ['get', '/organization/projects/{project_id}/api_keys/{api_key_id}'],
  ['delete', '/organization/projects/{project_id}/api_keys/{api_key_id}'],
  ['get', '/organization/projects/{project_id}/rate_limits'],
  ['post', '/organization/projects/{project_id}/rate_limits/{rate_limit_id}'],
  ['get', '/organization/projects/{project_id}/model_permissions'],
  ['post', '/organization/projects/{project_id}/model_permissions'],
  ['delete', '/organization/projects/{project_id}/model_permissions'],
  ['get', '/organization/projects/{project_id}/spend_limit'],
  ['post', '/organization/projects/{project_id}/spend_limit'],
  ['delete', '/organization/projects/{project_id}/spend_limit'],
  ['get', '/organization/admin_api_keys'],
  ['post', '/organization/admin_api_keys'],
  ['get', '/organization/admin_api_keys/{key_id}'],
  ['delete', '/organization/admin_api_keys/{key_id}'],
  ['get', '/organization/users'],
  ['get', '/organization/users/{user_id}'],
  ['get', '/organization/usage/completions'],
  ['get', '/organization/usage/embeddings'],
  ['get', '/organization/costs'],
  ['get', '/organization/audit_logs'],
];
