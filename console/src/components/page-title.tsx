import { type ReactNode, useEffect } from 'react';

/** The page's heading, also the document title, with optional actions beside it. */
export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Tessera console`;
  }, [title]);
  return (
    <header className="page-title">
      <h1>{title}</h1>
      {children && <div className="actions">{children}</div>}
    </header>
  );
}
