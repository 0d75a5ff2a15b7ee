// Calls to the service's /v1 API with a bearer credential, and its problem+json errors made readable.

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

export async function call(path, credential, { method = 'GET', signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: { Authorization: `Bearer ${credential}`, Accept: 'application/json' },
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Network error', 'The service could not be reached. Check your connection and try again.');
  }
  if (response.ok) {
    return response.status === 204 ? null : response.json();
  }
  let title = response.statusText;
  let detail = '';
  try {
    const problem = await response.json();
    title = problem.title || title;
    detail = problem.detail || '';
  } catch {
    // Not problem+json (a proxy's page, say): the status is all there is.
  }
  throw new ApiError(response.status, title, detail);
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
