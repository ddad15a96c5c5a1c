// The one way the pages talk to the server: JSON in and out, every failure turned into an ApiError
// carrying the contract's {code, message, field}, and a 401 anywhere handed to the sign-in box.
import { t, has } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

let unauthorized = () => {};

/** Sets what happens when any call answers 401 (the pages show the sign-in box). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** Calls the API; resolves with the parsed JSON (null for an empty body) or rejects with an ApiError. */
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached.');
  }
  let text = '';
  try {
    text = await response.text();
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached.');
  }
  return parse(response.status, text);
}

function parse(status, text) {
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (status >= 200 && status < 300) return data;
  const error = data && data.error ? data.error : {};
  if (status === 401) unauthorized();
  throw new ApiError(status, error.code || `http_${status}`, error.message || `HTTP ${status}`, error.field || null);
}

/**
 * Uploads one file as the raw request body with XMLHttpRequest (fetch cannot report upload progress).
 * onProgress(loaded, total) is called as bytes leave. Returns {promise, abort}; the promise resolves with
 * the attachment JSON or rejects with an ApiError.
 */
export function upload(file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/chat/attachments');
    xhr.setRequestHeader('X-Filename', encodeURIComponent(file.name));
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      try {
        resolve(parse(xhr.status, xhr.responseText));
      } catch (e) {
        reject(e);
      }
    });
    // A server refusing a too-large body may close the connection before the browser reads its 413.
    xhr.addEventListener('error', () => reject(new ApiError(0, 'upload_failed', 'The upload was interrupted.', 'file')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.', 'file')));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

/** The message to show for an error: ours in the page's language when we know the code, else the server's. */
export function errorText(error) {
  if (error && has(`error.${error.code}`)) return t(`error.${error.code}`);
  if (error instanceof ApiError) return error.message;
  return t('error.unexpected');
}
