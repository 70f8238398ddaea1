/** The dashboard's shell: who is signed in, the navigation, and the screen of the URL. */
import './styles.css';
import { render, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, setCsrf, type Whoami } from './api.js';
import { Login } from './login.js';
import { Inventory } from './inventory.js';
import { CredentialScreen } from './credential.js';
import { Rotations, RotationScreen } from './rotations.js';
import { Approvals } from './approvals.js';
import { Audit } from './audit.js';
import { People } from './people.js';
import { BASE, onLink, useRoute, type Route } from './router.js';
import { SessionContext } from './session.js';

const NAV: { path: string; label: string }[] = [
  { path: '/', label: 'Inventory' },
  { path: '/rotations', label: 'Rotations' },
  { path: '/approvals', label: 'Approvals' },
  { path: '/audit', label: 'Audit' },
  { path: '/people', label: 'People' },
];

function screenOf(route: Route): ComponentChildren {
  const [, first, ...rest] = route.path.split('/');
  if (first === 'credentials' && rest.length > 0) return <CredentialScreen name={decodeURIComponent(rest.join('/'))} />;
  if (first === 'rotations' && rest[0] !== undefined) return <RotationScreen id={decodeURIComponent(rest[0])} />;
  if (first === 'rotations') return <Rotations route={route} />;
  if (first === 'approvals') return <Approvals />;
  if (first === 'audit') return <Audit route={route} />;
  if (first === 'people') return <People />;
  return <Inventory route={route} />;
}

function App() {
  const route = useRoute();
  const [who, setWho] = useState<Whoami | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>();
  const refresh = async () => {
    try {
      const me = await api<Whoami>('/v1/auth/whoami');
      setCsrf(me.csrf);
      setWho(me);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setWho(null);
      else setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  useEffect(() => {
    void refresh();
  }, []);
  if (problem !== undefined) return <main class="page"><p role="alert" class="error">{problem}</p></main>;
  if (who === undefined) return <main class="page"><p aria-busy="true">Loading…</p></main>;
  if (who === null) return <Login onSignedIn={() => void refresh()} />;
  const logout = async () => {
    await api('/v1/auth/logout', { method: 'POST' });
    setCsrf(undefined);
    setWho(null);
  };
  const active = '/' + (route.path.split('/')[1] ?? '');
  return (
    <SessionContext.Provider value={who}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="bar">
        <span class="brand">rekey</span>
        <nav aria-label="Main" onClick={onLink}>
          {NAV.map((item) => (
            <a href={`${BASE}${item.path === '/' ? '/' : item.path}`} aria-current={(item.path === '/' ? active === '/' || active === '/credentials' : active === item.path) ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <span class="who">
          {who.user.displayName ?? who.user.name} <span class="muted">({who.grants.map((grant) => grant.role).join(', ') || 'no role'})</span>
        </span>
        <button type="button" onClick={() => void logout()}>
          Sign out
        </button>
      </header>
      <main id="main" class="page" tabIndex={-1} onClick={onLink}>
        {screenOf(route)}
      </main>
    </SessionContext.Provider>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
