/**
 * A gated action: calls the API; when the server asks for a fresh MFA proof it asks for the
 * code, steps up and repeats; when it asks for approval it shows the request and, once
 * approved, runs it with X-Rekey-Approval. The server decides every gate; this only follows.
 */
import { useState } from 'preact/hooks';
import { ApiError, api } from './api.js';

export function ActionButton(props: { label: string; path: string; body?: unknown; danger?: boolean; onDone?: (result: unknown) => void }) {
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'busy' } | { kind: 'step-up'; message: string } | { kind: 'approval'; id: string; message: string } | { kind: 'done'; message: string } | { kind: 'error'; message: string }>({
    kind: 'idle',
  });
  const [code, setCode] = useState('');
  const run = async (approval?: string) => {
    setState({ kind: 'busy' });
    try {
      const result = await api<unknown>(props.path, { method: 'POST', body: props.body ?? {}, approval });
      setState({ kind: 'done', message: `${props.label}: done` });
      props.onDone?.(result);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'approval-required' && typeof error.extra.approval === 'string') {
        setState({ kind: 'approval', id: error.extra.approval, message: error.message });
      } else if (error instanceof ApiError && error.status === 403 && /step|mfa/i.test(error.code)) {
        setState({ kind: 'step-up', message: error.message });
      } else setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  };
  const stepUp = async (event: Event) => {
    event.preventDefault();
    try {
      await api('/v1/auth/step-up', { method: 'POST', body: { totp: code } });
      setCode('');
      await run();
    } catch (error) {
      setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <div class="action">
      <button type="button" class={props.danger === true ? 'danger' : 'primary'} disabled={state.kind === 'busy'} onClick={() => void run()}>
        {props.label}
      </button>
      {state.kind === 'step-up' && (
        <form class="inline" onSubmit={(event) => void stepUp(event)}>
          <p>{state.message}</p>
          <label>
            Authenticator code
            <input inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required value={code} onInput={(event) => setCode(event.currentTarget.value)} />
          </label>
          <button type="submit">Verify and continue</button>
        </form>
      )}
      {state.kind === 'approval' && (
        <div class="notice" role="status">
          <p>
            Approval requested: <code data-approval={state.id}>{state.id}</code>. {state.message}
          </p>
          <button type="button" onClick={() => void run(state.id)}>
            Run the approved request
          </button>
        </div>
      )}
      {state.kind === 'done' && <p role="status">{state.message}</p>}
      {state.kind === 'error' && (
        <p role="alert" class="error">
          {state.message}
        </p>
      )}
    </div>
  );
}
