import { type FormEvent, useState } from 'react';
import type { UploadReport } from '../../api/client';
import { type UploadProgress, uploadCodes } from '../../api/upload';
import { ProblemBanner } from '../../components/problem-banner';
import { ProgressBar } from '../../components/progress';
import { useAction } from '../../hooks/use-action';
import { Table } from '../../components/table';

function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 ** 2) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / 1024 ** 2).toFixed(1)} MiB`;
}

/** Upload a partner's file of codes: a progress bar while it is sent, then the upload report. */
export function PoolUpload({ rewardId, onUploaded }: { rewardId: string; onUploaded(): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [report, setReport] = useState<UploadReport | null>(null);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setReport(null);
    setProgress({ sent: 0, total: file.size, processing: false });
    const result = await action.run(() => uploadCodes(rewardId, file, setProgress));
    setProgress(null);
    if (result) {
      setReport(result);
      onUploaded();
    }
  };

  return (
    <section className="card">
      <h2>Upload codes</h2>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="pool-file">File of codes</label>
          <input id="pool-file" type="file" accept=".txt,.csv,.json,text/plain,text/csv,application/json" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
          <small className="hint">A code a line (.txt), the first column of a .csv, or {'{ "codes": [...] }'} (.json). All are added, or none.</small>
        </div>
        <button type="submit" disabled={!file || action.busy}>
          {action.busy ? 'Uploading…' : 'Upload'}
        </button>
      </form>
      {progress && (
        <ProgressBar
          label={progress.processing ? 'Adding the codes…' : 'Sending the file…'}
          value={progress.sent}
          max={progress.total || 1}
          text={`${bytes(progress.sent)} of ${bytes(progress.total)} sent`}
        />
      )}
      <ProblemBanner problem={action.problem} title="The upload was refused: no code was added" />
      {report && <UploadReportView report={report} />}
    </section>
  );
}

function UploadReportView({ report }: { report: UploadReport }) {
  const rows: Array<[string, { count: number; lines: number[] }]> = [
    ['Duplicated in the file', report.duplicated],
    ['Already present', report.alreadyPresent],
    ['Invalid', report.invalid],
    ['… empty or only separators', report.invalid.empty],
    ['… too long', report.invalid.tooLong],
    ['… not printable', report.invalid.notPrintable],
    ['… not text', report.invalid.notText],
  ];
  return (
    <div className="report" role="status">
      <h3>Upload report</h3>
      <p>
        <strong>{report.added.toLocaleString()}</strong> of {report.received.toLocaleString()} codes added. The pool now has{' '}
        {report.pool.available.toLocaleString()} codes available.
      </p>
      <Table headings={['Not added', 'Count', 'First lines']}>
        {rows.map(([label, kind]) => (
          <tr key={label}>
            <td>{label}</td>
            <td>{kind.count.toLocaleString()}</td>
            <td>{kind.lines.join(', ') || '—'}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}
