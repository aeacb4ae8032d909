import type { ReactNode } from 'react';
import { Link } from 'wouter';
import type { ListedVoucher } from '../api/client';
import { formatTime } from '../format/time';
import { StatusBadge } from './status-badge';
import { Table } from './table';

/** Vouchers as a table; `show` picks the member or reward column, `actions` adds buttons per row. */
export function VoucherTable({
  vouchers,
  show,
  names,
  actions,
}: {
  vouchers: ListedVoucher[];
  show: 'member' | 'reward';
  names?: ReadonlyMap<string, string>;
  actions?: (voucher: ListedVoucher) => ReactNode;
}) {
  if (vouchers.length === 0) return <p>No vouchers.</p>;
  return (
    <Table headings={['Code', 'Status', show === 'member' ? 'Member' : 'Reward', 'Issued', 'Expires', ...(actions ? ['Actions'] : [])]}>
      {vouchers.map((voucher) => (
        <tr key={voucher.id}>
          <td>
            {voucher.code ? (
              <Link href={`/lookup?code=${encodeURIComponent(voucher.code)}`}>
                <code>{voucher.code}</code>
              </Link>
            ) : (
              <span className="hint">not revealed</span>
            )}
          </td>
          <td>
            <StatusBadge status={voucher.status} />
          </td>
          <td>
            {show === 'member' ? (
              <Link href={`/members/${voucher.userId}`}>{names?.get(voucher.userId) ?? voucher.userId}</Link>
            ) : (
              <Link href={`/rewards/${voucher.rewardId}`}>{names?.get(voucher.rewardId) ?? voucher.rewardId}</Link>
            )}
          </td>
          <td>{formatTime(voucher.createdAt)}</td>
          <td>{formatTime(voucher.expiresAt)}</td>
          {actions && <td className="row-actions">{actions(voucher)}</td>}
        </tr>
      ))}
    </Table>
  );
}
