import type { UploadReport } from './client';
import { ApiError, problemOf } from './problem';
import { session } from './session';

export interface UploadProgress {
  sent: number;
  total: number;
  /** Every byte is sent; the server is finishing the upload. */
  processing: boolean;
}

const TYPES: Record<string, string> = { txt: 'text/plain', csv: 'text/csv', json: 'application/json' };

/** The content type the file's name implies (plain text when it says nothing). */
function uploadType(fileName: string): string {
  const extension = fileName.split('.').pop()?.toLowerCase() ?? '';
  return TYPES[extension] ?? 'text/plain';
}

/**
 * Streams a file to POST /v1/rewards/{id}/codes. XMLHttpRequest, because only it reports upload
 * progress in every browser; the answer is the upload report or an ApiError.
 */
export function uploadCodes(rewardId: string, file: File, onProgress: (progress: UploadProgress) => void): Promise<UploadReport> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/rewards/${encodeURIComponent(rewardId)}/codes`);
    xhr.setRequestHeader('authorization', `Bearer ${session.key() ?? ''}`);
    xhr.setRequestHeader('content-type', uploadType(file.name));
    xhr.responseType = 'json';
    xhr.upload.onprogress = (event) => {
      const total = event.lengthComputable ? event.total : file.size;
      onProgress({ sent: event.loaded, total, processing: event.loaded >= total });
    };
    xhr.upload.onload = () => onProgress({ sent: file.size, total: file.size, processing: true });
    xhr.onload = () => {
      if (xhr.status === 201) resolve(xhr.response as UploadReport);
      else reject(new ApiError(xhr.response ?? problemOf(new Error(`The server answered ${xhr.status}`))));
    };
    xhr.onerror = () => reject(new ApiError(problemOf(new Error('The upload was cut off'))));
    xhr.send(file);
  });
}
