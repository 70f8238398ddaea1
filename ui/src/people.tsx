/** People and access: users, roles, role bindings and application tokens (never their values). */
import { shortDate } from './format.js';
import { Problem, useApi } from './load.js';
import { useCan } from './session.js';

export function People() {
  const can = useCan();
  const users = useApi<{ name: string; displayName: string | null; groups: string[]; status: string; mfa: string; createdAt: string }[]>(can('manage-users') ? '/v1/users' : undefined);
  const roles = useApi<{ name: string; description: string; capabilities: string[]; requireMfa: boolean }[]>('/v1/roles');
  const bindings = useApi<{ id: string; role: string; subjectKind: string; subject: string; scope: Record<string, string> }[]>('/v1/role-bindings');
  const tokens = useApi<{ id: string; kind: string; name: string; credentials: string[]; expiresAt: string | null; createdAt: string; createdBy: string }[]>('/v1/tokens');
  return (
    <section aria-labelledby="people-title">
      <h1 id="people-title">People and access</h1>
      <h2>Users</h2>
      {!can('manage-users') ? <p>Listing users needs manage-users.</p> : <Problem text={users.problem} />}
      {users.data !== undefined && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Groups</th>
              <th scope="col">Status</th>
              <th scope="col">MFA</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((user) => (
              <tr>
                <th scope="row">{user.displayName === null ? user.name : `${user.displayName} (${user.name})`}</th>
                <td>{user.groups.join(', ') || '—'}</td>
                <td>{user.status}</td>
                <td>{user.mfa}</td>
                <td>{shortDate(user.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Roles</h2>
      <Problem text={roles.problem} />
      <ul>
        {(roles.data ?? []).map((role) => (
          <li>
            <strong>{role.name}</strong>
            {role.requireMfa ? ' (MFA required)' : ''}: {role.capabilities.join(', ')}
          </li>
        ))}
      </ul>
      <h2>Bindings</h2>
      <Problem text={bindings.problem} />
      <ul>
        {(bindings.data ?? []).map((binding) => (
          <li>
            {binding.subjectKind} <strong>{binding.subject}</strong> is {binding.role} on{' '}
            {Object.entries(binding.scope)
              .map(([key, value]) => `${key}=${value}`)
              .join(', ') || 'everything'}
          </li>
        ))}
      </ul>
      <h2>Application tokens</h2>
      <Problem text={tokens.problem} />
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">Token</th>
            <th scope="col">Kind</th>
            <th scope="col">Credentials</th>
            <th scope="col">Expires</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(tokens.data ?? []).map((token) => (
            <tr>
              <th scope="row">{token.name}</th>
              <td>{token.kind}</td>
              <td>{token.credentials.join(', ')}</td>
              <td>{shortDate(token.expiresAt)}</td>
              <td>
                {shortDate(token.createdAt)} by {token.createdBy}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
