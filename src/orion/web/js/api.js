// The REST API client: bearer token on every call, errors in Orion's JSON error model.

export class ApiError extends Error {
  constructor(status, code, message, requestId, details) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }
}

function describe(status, body) {
  const error = body && body.error;
  if (error && error.message) {
    const details = (error.details || [])
      .map((d) => `${(d.location || []).slice(1).join(".")}: ${d.message}`)
      .join("; ");
    return [error.code, details ? `${error.message} ${details}` : error.message, error.request_id];
  }
  return ["http_error", `The server answered ${status}.`, null];
}

/** getToken() supplies the current token; onUnauthorized() runs on any 401. */
export function createApi({ getToken, onUnauthorized }) {
  async function request(method, path, { query, body, token } = {}) {
    const url = new URL(path, window.location.origin);
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== "" && value !== null && value !== undefined) url.searchParams.set(key, value);
    }
    const headers = { Accept: "application/json" };
    const bearer = token || getToken();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const [code, message, requestId] = describe(response.status, data);
      if (response.status === 401 && !token) onUnauthorized();
      throw new ApiError(response.status, code, message, requestId, data && data.error);
    }
    return data;
  }

  return {
    get: (path, query) => request("GET", path, { query }),
    post: (path, body) => request("POST", path, { body }),
    patch: (path, body) => request("PATCH", path, { body }),
    del: (path) => request("DELETE", path),
    /** Checks a token that is not stored yet (sign-in). */
    me: (token) => request("GET", "/api/v1/me", { token }),
  };
}
