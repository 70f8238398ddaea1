/** The signed-in person and what their grants allow (to hide actions they may not take; the server decides). */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Whoami } from './api.js';

export const SessionContext = createContext<Whoami | undefined>(undefined);

export function useCan(): (capability: string) => boolean {
  const who = useContext(SessionContext);
  return (capability) => who?.grants.some((grant) => grant.capabilities.includes(capability)) ?? false;
}

export function useWho(): Whoami | undefined {
  return useContext(SessionContext);
}
