import type { TillRequest } from '../../api/client';
import { parseMoney } from '../../format/money';
import { typedMoney, typedWhole } from '../../format/typed-number';

export interface BasketLine {
  sku: string;
  quantity: string;
  unitPrice: string;
}

export interface TillDraft {
  code: string;
  venue: string;
  reference: string;
  userId: string;
  currency: string;
  total: string;
  items: BasketLine[];
}

export const EMPTY_TILL: TillDraft = { code: '', venue: '', reference: '', userId: '', currency: 'GBP', total: '', items: [] };

/** The sum of the lines, in minor units; null while a line is not a number yet. */
export function linesTotal(draft: TillDraft): number | null {
  let sum = 0;
  for (const line of draft.items) {
    const price = parseMoney(line.unitPrice, draft.currency);
    const quantity = Number(line.quantity);
    if (price === null || !Number.isInteger(quantity)) return null;
    sum += price * quantity;
  }
  return sum;
}

/**
 * The validation request the till sends. The basket goes only when it has a total or lines (an
 * empty total is the lines' sum).
 */
export function tillRequest(draft: TillDraft, dryRun: boolean): TillRequest {
  const currency = draft.currency.trim().toUpperCase();
  const hasBasket = draft.total.trim() !== '' || draft.items.length > 0;
  const request: Record<string, unknown> = { code: draft.code, dryRun };
  if (draft.venue.trim()) request.venue = draft.venue.trim();
  if (draft.reference.trim()) request.reference = draft.reference.trim();
  if (draft.userId.trim()) request.userId = draft.userId.trim();
  if (hasBasket) {
    request.basket = {
      currency,
      total: (typedMoney(draft.total, currency) ?? linesTotal(draft)) as number,
      ...(draft.items.length > 0 && {
        items: draft.items.map((line) => ({ sku: line.sku.trim(), quantity: typedWhole(line.quantity) as number, unitPrice: typedMoney(line.unitPrice, currency) as number })),
      }),
    };
  }
  return request as TillRequest;
}
