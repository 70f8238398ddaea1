/** Loads one API answer for a screen: the value, or why not. */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

export function useApi<T>(path: string | undefined, version = 0): { data: T | undefined; problem: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    api<T>(path).then(
      (value) => live && (setData(value), setProblem(undefined)),
      (error: Error) => live && setProblem(error.message),
    );
    return () => {
      live = false;
    };
  }, [path, version, tick]);
  return { data, problem, reload: () => setTick((value) => value + 1) };
}

export function Problem(props: { text: string | undefined }) {
  return props.text === undefined ? null : (
    <p role="alert" class="error">
      {props.text}
    </p>
  );
}
