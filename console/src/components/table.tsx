import type { ReactNode } from 'react';

/** A table with a heading per column, scrolling sideways on a narrow screen; `children` are its rows. */
export function Table({ headings, className, children }: { headings: string[]; className?: string; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <thead>
          <tr>
            {headings.map((heading) => (
              <th key={heading} scope="col">
                {heading}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
