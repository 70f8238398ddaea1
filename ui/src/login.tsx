/** Sign in: user name and password, then the six-digit code when the account has TOTP. */
import { useState } from 'preact/hooks';
import { ApiError, api, setCsrf } from './api.js';

export function Login(props: { onSignedIn: () => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const body = { user, password, ...(needCode ? { mfa: { totp: code } } : {}) };
      const result = await api<{ csrf: string }>('/v1/auth/browser-login', { method: 'POST', body });
      setCsrf(result.csrf);
      setPassword('');
      props.onSignedIn();
    } catch (error) {
      if (error instanceof ApiError && /second factor|mfa|totp|code/i.test(error.message) && !needCode) {
        setNeedCode(true);
        setProblem('Enter the six-digit code from your authenticator app.');
      } else setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <h1>Sign in to rekey</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          User name
          <input name="user" autocomplete="username" required value={user} onInput={(event) => setUser(event.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        </label>
        {needCode && (
          <label>
            Authenticator code
            <input name="totp" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required value={code} onInput={(event) => setCode(event.currentTarget.value)} />
          </label>
        )}
        {problem !== undefined && (
          <p role="alert" class="error">
            {problem}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {needCode ? 'Verify and sign in' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
