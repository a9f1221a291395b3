// Turns API error answers into messages that tell a person what to do next.
import type { ErrorBody } from "./types";

export interface RowProblem {
  /** Where: e.g. ["file", 3, "value"] for line 3 of a CSV, or a JSON body path. */
  loc: (string | number)[];
  message: string;
  type: string;
}

/** A failed call: HTTP status, the API's code and message, and row problems when any. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly rows: RowProblem[];

  constructor(status: number, code: string, message: string, rows: RowProblem[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.rows = rows;
  }
}

const ADVICE: Record<number, string> = {
  401: "Enter a valid API key on the Settings page.",
  403: "Ask an admin for a key with the scope this needs.",
  413: "Split the upload into smaller files and send each.",
  429: "Too many requests with this key; wait a moment and try again.",
  503: "A service the API needs is unavailable; try again shortly (the Overview page shows which).",
};

function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === "object" && body !== null && "error" in body;
}

function rowsOf(details: unknown): RowProblem[] {
  const list = Array.isArray(details)
    ? details
    : typeof details === "object" && details !== null && "errors" in details
      ? (details as { errors: unknown }).errors
      : [];
  return Array.isArray(list) ? (list as RowProblem[]).filter((row) => Array.isArray(row?.loc)) : [];
}

/** The failure an error answer describes (or a generic one for a non-JSON answer). */
export function toFailure(status: number, body: unknown): ApiFailure {
  if (isErrorBody(body)) {
    const { code, message, details } = body.error;
    return new ApiFailure(status, code, message, rowsOf(details));
  }
  return new ApiFailure(status, "http_error", `the API answered HTTP ${status}`);
}

/** A sentence for the page: what went wrong, then what to do about it. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiFailure) {
    const message = sentence(error.message);
    const advice = ADVICE[error.status];
    return advice ? `${message} ${advice}` : message;
  }
  if (error instanceof TypeError) {
    return "The API cannot be reached. Check that it is running (`quantis up`) and reload.";
  }
  return error instanceof Error ? error.message : String(error);
}

/** The API's messages start in lower case without a full stop; the page shows sentences. */
function sentence(message: string): string {
  const trimmed = message.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** "line 3, value" for a CSV row, "observations 2 · ts" for a JSON one. */
export function describeLocation(loc: (string | number)[]): string {
  if (loc[0] === "file") {
    const [, line, column] = loc;
    return column === undefined ? `line ${line}` : `line ${line}, ${column}`;
  }
  return loc.filter((part) => part !== "body").join(" · ");
}

/** Unwraps an openapi-fetch result: the data, or throws the API's failure. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw toFailure(result.response.status, result.error);
  }
  return result.data as T;
}
