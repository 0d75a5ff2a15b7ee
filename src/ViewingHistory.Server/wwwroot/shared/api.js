// Calls to the service's /v1 API with a bearer credential, and its problem+json errors made readable.

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

async function send(path, credential, { method = 'GET', signal, headers = {} } = {}) {
  try {
    // no-store: the page keeps what it needs itself, and a 304 reaches it as a 304 instead of the browser's copy.
    return await fetch(path, {
      method,
      signal,
      headers: { Authorization: `Bearer ${credential}`, Accept: 'application/json', ...headers },
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Network error', 'The service could not be reached. Check your connection and try again.');
  }
}

export async function call(path, credential, options = {}) {
  const response = await send(path, credential, options);
  if (response.ok) {
    return response.status === 204 ? null : response.json();
  }
  throw await failure(response);
}

/**
 * A GET that names the ETag of what the page already shows (`etag`, or null for the first read): answers
 * `{ notModified: true }` on a 304, else `{ notModified: false, etag, body }`.
 */
export async function callConditional(path, credential, etag, options = {}) {
  const headers = etag ? { 'If-None-Match': etag } : {};
  const response = await send(path, credential, { ...options, headers });
  if (response.status === 304) return { notModified: true };
  if (response.ok) return { notModified: false, etag: response.headers.get('ETag'), body: await response.json() };
  throw await failure(response);
}

async function failure(response) {
  let title = response.statusText;
  let detail = '';
  try {
    const problem = await response.json();
    title = problem.title || title;
    detail = problem.detail || '';
  } catch {
    // Not problem+json (a proxy's page, say): the status is all there is.
  }
  return new ApiError(response.status, title, detail);
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
