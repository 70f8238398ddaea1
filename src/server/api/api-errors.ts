/** Errors a route handler throws to answer with a given HTTP status (beyond rekey's typed errors). */
export class ApiHttpError extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiHttpError';
  }
}

export class UnauthorizedError extends ApiHttpError {
  constructor(message: string, code = 'unauthorized') {
    super(401, code, message);
  }
}
