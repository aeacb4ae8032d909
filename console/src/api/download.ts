import { type ActivityQuery, api, unwrap } from './client';

/** The file name a response suggests (Content-Disposition), or `fallback`. */
function suggestedName(response: Response, fallback: string): string {
  const match = /filename="?([^";]+)"?/i.exec(response.headers.get('content-disposition') ?? '');
  return match?.[1] ?? fallback;
}

/** Hands a file to the browser to save, as if it had been a link. */
function save(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has the file once the click is handled; the URL is only a handle on it.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Saves the activity report as CSV. A plain link cannot carry the admin key, so the file is read
 * through the client (which adds it) and saved from memory: one line a day, a few KiB at most.
 */
export async function downloadActivityCsv(query: ActivityQuery): Promise<void> {
  const call = api.GET('/v1/reports/activity.csv', { params: { query }, parseAs: 'blob' });
  const blob = await unwrap(call);
  const { response } = await call;
  save(blob, suggestedName(response, `activity-${query.from}-${query.to}.csv`));
}
