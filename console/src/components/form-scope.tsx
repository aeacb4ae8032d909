import { type ReactNode, createContext, useContext } from 'react';

const Scope = createContext('');

/** Keeps field ids unique when two forms on one page have a field of the same name. */
export function FormScope({ name, children }: { name: string; children: ReactNode }) {
  return <Scope.Provider value={`${name}-`}>{children}</Scope.Provider>;
}

export function useFormScope(): string {
  return useContext(Scope);
}
