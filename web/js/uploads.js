// Uploads of files the operator sends: each with its progress and a way to cancel it.
import { upload } from './api.js';

const running = new Set(); // the uploads not finished yet

/**
 * Uploads a file, calling onProgress(loaded, total) as its bytes leave. Returns {promise, abort}: the promise
 * resolves with the stored attachment or rejects with an ApiError ('aborted' after abort()).
 */
export function uploadFile(file, onProgress) {
  const job = upload(file, onProgress);
  running.add(job);
  const done = () => running.delete(job);
  job.promise.then(done, done);
  return job;
}

/** Whether a file is on its way to the server right now. */
export function uploading() {
  return running.size > 0;
}
